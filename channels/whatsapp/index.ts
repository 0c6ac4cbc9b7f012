import type { ChannelDefinition } from '../../src/core/channel.ts';
import { CloudApiAdapter, cloudCapabilities } from './adapter.ts';
import { mediaFetchPolicy } from '../settings.ts';
import { GraphApi, META_MEDIA_HOSTS } from './graph.ts';

export const whatsappChannel: ChannelDefinition = {
  name: 'whatsapp',
  description: "WhatsApp through Meta's Cloud API (webhooks at /webhooks/whatsapp).",
  capabilities: cloudCapabilities,
  settings: [
    {
      env: 'WHATSAPP_ACCESS_TOKEN',
      description: 'System-user access token; with the phone number id, app secret and verify token it turns the Cloud API on.',
      example: 'EAAG...',
    },
    { env: 'WHATSAPP_PHONE_NUMBER_ID', description: 'Phone number id of the business number (not the phone number itself).', example: '106540352242922' },
    { env: 'WHATSAPP_APP_SECRET', description: 'Meta app secret: webhook bodies must carry its X-Hub-Signature-256.', example: 'app-secret' },
    {
      env: 'WHATSAPP_VERIFY_TOKEN',
      description: 'Token you enter in the webhook setup; GET /webhooks/whatsapp answers the challenge only with it.',
      example: 'a-random-string',
    },
    {
      env: 'WHATSAPP_GRAPH_URL',
      description: 'Base URL of the Graph API (a test double or a proxy).',
      default: 'https://graph.facebook.com',
      example: 'http://127.0.0.1:4010',
    },
    {
      env: 'WHATSAPP_MEDIA_HOSTS',
      description:
        'Hosts inbound media is downloaded from (comma-separated, *.example.com for subdomains); Meta gives the URLs, Parley fetches only from these.',
      default: META_MEDIA_HOSTS.join(','),
      example: 'lookaside.fbsbx.com',
    },
    { env: 'WHATSAPP_GRAPH_VERSION', description: 'Graph API version.', default: 'v23.0', example: 'v22.0' },
    {
      env: 'WHATSAPP_TEMPLATE_NAME',
      description: 'Approved template sent instead of free-form text outside the 24-hour window. Unset: such sends fail with the reason for the agent.',
      example: 'we_have_a_reply',
    },
    { env: 'WHATSAPP_TEMPLATE_LANGUAGE', description: 'Language code of that template.', default: 'en', example: 'fa' },
    {
      env: 'WHATSAPP_TEMPLATE_TEXT_PARAM',
      description: 'true: the blocked message text is passed as the template body parameter {{1}}.',
      default: 'false',
      example: 'true',
    },
  ],
  create(env) {
    const required = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'];
    const missing = required.filter((name) => !env[name]);
    if (missing.length > 0) return { off: `set ${missing.join(', ')} to turn the WhatsApp Cloud API on` };
    const graph = new GraphApi({
      baseUrl: env.WHATSAPP_GRAPH_URL || 'https://graph.facebook.com',
      version: env.WHATSAPP_GRAPH_VERSION || 'v23.0',
      accessToken: env.WHATSAPP_ACCESS_TOKEN as string,
      media: mediaFetchPolicy(env, 'WHATSAPP_MEDIA_HOSTS', META_MEDIA_HOSTS),
    });
    return new CloudApiAdapter(graph, {
      phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID as string,
      appSecret: env.WHATSAPP_APP_SECRET as string,
      verifyToken: env.WHATSAPP_VERIFY_TOKEN as string,
      windowTemplate: env.WHATSAPP_TEMPLATE_NAME
        ? { name: env.WHATSAPP_TEMPLATE_NAME, language: env.WHATSAPP_TEMPLATE_LANGUAGE || 'en', withText: env.WHATSAPP_TEMPLATE_TEXT_PARAM === 'true' }
        : undefined,
    });
  },
};
