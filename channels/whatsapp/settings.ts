import { z } from 'zod';
import { flag, setting } from '../../src/core/settings.ts';

/** Meta's media download host (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#download-media). */
export const META_MEDIA_HOSTS = ['lookaside.fbsbx.com'];

const text = () => z.string().min(1);

export const whatsappSettings = z.object({
  WHATSAPP_ACCESS_TOKEN: setting(text(), {
    description: 'System-user access token; with the phone number id, app secret and verify token it turns the Cloud API on.',
    example: 'EAAG...',
    secret: true,
  }),
  WHATSAPP_PHONE_NUMBER_ID: setting(text(), {
    description: 'Phone number id of the business number (not the phone number itself).',
    example: '106540352242922',
  }),
  WHATSAPP_APP_SECRET: setting(text(), {
    description: 'Meta app secret: webhook bodies must carry its X-Hub-Signature-256.',
    example: 'app-secret',
    secret: true,
  }),
  WHATSAPP_VERIFY_TOKEN: setting(text(), {
    description: 'Token you enter in the webhook setup; GET /webhooks/whatsapp answers the challenge only with it.',
    example: 'a-random-string',
    secret: true,
  }),
  WHATSAPP_GRAPH_URL: setting(z.url(), {
    description: 'Base URL of the Graph API (a test double or a proxy).',
    default: 'https://graph.facebook.com',
    example: 'http://127.0.0.1:4010',
  }),
  WHATSAPP_MEDIA_HOSTS: setting(text(), {
    description: 'Hosts inbound media is downloaded from (comma-separated, *.example.com for subdomains); Meta gives the URLs, Parley fetches only from these.',
    default: META_MEDIA_HOSTS.join(','),
    example: 'lookaside.fbsbx.com',
  }),
  WHATSAPP_GRAPH_VERSION: setting(z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0'), {
    description: 'Graph API version.',
    default: 'v23.0',
    example: 'v22.0',
  }),
  WHATSAPP_TEMPLATE_NAME: setting(text(), {
    description:
      'Default approved template sent instead of free-form text outside the 24-hour window, when PARLEY_TEMPLATES_FILE has none for the message. Unset: such sends fail with the reason for the agent.',
    example: 'we_have_a_reply',
  }),
  WHATSAPP_TEMPLATE_LANGUAGE: setting(text(), { description: 'Language code of that template.', default: 'en', example: 'fa' }),
  WHATSAPP_TEMPLATE_TEXT_PARAM: setting(flag(), {
    description: 'true: the blocked message text is passed as the template body parameter {{1}}.',
    default: 'false',
    example: 'true',
  }),
});
export type WhatsAppSettings = z.output<typeof whatsappSettings>;
