import { z } from 'zod';
import { flag, positiveInteger, setting } from '../../src/core/settings.ts';

/** Twilio's media hosts: MediaUrl<N> is on api.twilio.com and redirects to its CDN (https://www.twilio.com/docs/messaging/api/media-resource). */
export const TWILIO_MEDIA_HOSTS = ['api.twilio.com', '*.twiliocdn.com'];

const text = () => z.string().min(1);

export const smsSettings = z.object({
  TWILIO_ACCOUNT_SID: setting(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hexadecimal digits'), {
    description: 'Twilio account SID; with TWILIO_AUTH_TOKEN and TWILIO_FROM it turns SMS on.',
    example: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  }),
  TWILIO_AUTH_TOKEN: setting(text(), { description: 'Twilio auth token (API calls and X-Twilio-Signature checks).', example: 'your-auth-token', secret: true }),
  TWILIO_FROM: setting(text(), { description: 'Sending number in E.164, or a Messaging Service SID (MG...).', example: '+15005550006' }),
  SMS_PUBLIC_URL: setting(z.url(), {
    description:
      'Public base URL Twilio calls (signatures are computed over it when Parley is behind a proxy); also turns on delivery status callbacks to <url>/webhooks/sms/status.',
    example: 'https://parley.example.com',
  }),
  TWILIO_API_URL: setting(z.url(), {
    description: "Base URL of Twilio's REST API (a test double or a regional proxy).",
    default: 'https://api.twilio.com',
    example: 'http://127.0.0.1:4010',
  }),
  SMS_MEDIA_HOSTS: setting(text(), {
    description:
      'Hosts an inbound MediaUrl may point at (comma-separated, *.example.com for subdomains); a webhook with media elsewhere (or not http(s)) is refused with the reason.',
    default: TWILIO_MEDIA_HOSTS.join(','),
    example: 'api.twilio.com,*.twiliocdn.com',
  }),
  TWILIO_ANSWERS_KEYWORDS: setting(flag(), {
    description:
      'true when Twilio answers STOP/START/HELP itself (its default); Parley then only records the answer. false: Parley sends the SMS_*_REPLY texts.',
    default: 'true',
    example: 'false',
  }),
  SMS_MAX_SEGMENTS: setting(positiveInteger(), {
    description: 'Most segments one outbound SMS may use (153 GSM-7 or 67 UCS-2 characters each: Persian/Arabic cost 67).',
    default: '3',
    example: '1',
  }),
  SMS_SEGMENT_LIMIT_MODE: setting(z.enum(['split', 'truncate'], { error: 'must be split or truncate' }), {
    description: 'What happens to longer text: split (several SMS, each within the limit) or truncate (cut at a word, ending in an ellipsis).',
    default: 'split',
    example: 'truncate',
  }),
  SMS_STOP_REPLY: setting(text(), {
    description: 'Answer to STOP and its variants when the provider does not answer it (default: English, Persian or Arabic by the keyword).',
    example: 'Unsubscribed. Reply START to resubscribe.',
  }),
  SMS_START_REPLY: setting(text(), {
    description: 'Answer to START and its variants when the provider does not answer it.',
    example: 'Subscribed again. Reply STOP to unsubscribe.',
  }),
  SMS_HELP_REPLY: setting(text(), {
    description: 'Answer to HELP / INFO when the provider does not answer it.',
    example: 'Acme support: reply with your question. STOP to unsubscribe.',
  }),
});
export type SmsSettings = z.output<typeof smsSettings>;
