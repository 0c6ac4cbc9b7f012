import type { ChannelDefinition } from '../../src/core/channel.ts';
import { mediaFetchPolicy, positiveIntSetting } from '../settings.ts';
import { SmsAdapter, smsCapabilities } from './adapter.ts';
import type { SmsProvider } from './provider.ts';
import { TWILIO_MEDIA_HOSTS, twilioProvider } from './providers/twilio.ts';

const DEFAULT_REPLIES = {
  opt_out: {
    en: 'You are unsubscribed and will receive no more messages. Reply START to resubscribe.',
    fa: 'اشتراک شما لغو شد و دیگر پیامی دریافت نمی‌کنید. برای عضویت دوباره «شروع» را بفرستید.',
    ar: 'تم إلغاء اشتراكك ولن تصلك رسائل أخرى. أرسل START للاشتراك مجددًا.',
  },
  opt_in: {
    en: 'You are subscribed again. Reply STOP to unsubscribe, HELP for help.',
    fa: 'عضویت شما دوباره فعال شد. برای لغو «لغو» و برای راهنما «راهنما» را بفرستید.',
    ar: 'تم تفعيل اشتراكك مجددًا. أرسل STOP لإلغاء الاشتراك و HELP للمساعدة.',
  },
  help: {
    en: 'Reply with your question and we will answer. Reply STOP to unsubscribe.',
    fa: 'سؤال خود را بفرستید تا پاسخ دهیم. برای لغو اشتراک «لغو» را بفرستید.',
    ar: 'أرسل سؤالك وسنجيبك. أرسل STOP لإلغاء الاشتراك.',
  },
};

export const smsChannel: ChannelDefinition = {
  name: 'sms',
  description: 'SMS and MMS through Twilio (providers are pluggable: channels/sms/providers/).',
  capabilities: smsCapabilities,
  settings: [
    {
      env: 'TWILIO_ACCOUNT_SID',
      description: 'Twilio account SID; with TWILIO_AUTH_TOKEN and TWILIO_FROM it turns SMS on.',
      example: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    },
    { env: 'TWILIO_AUTH_TOKEN', description: 'Twilio auth token (API calls and X-Twilio-Signature checks).', example: 'your-auth-token' },
    { env: 'TWILIO_FROM', description: 'Sending number in E.164, or a Messaging Service SID (MG...).', example: '+15005550006' },
    {
      env: 'SMS_PUBLIC_URL',
      description:
        'Public base URL Twilio calls (signatures are computed over it when Parley is behind a proxy); also turns on delivery status callbacks to <url>/webhooks/sms/status.',
      example: 'https://parley.example.com',
    },
    {
      env: 'TWILIO_API_URL',
      description: "Base URL of Twilio's REST API (a test double or a regional proxy).",
      default: 'https://api.twilio.com',
      example: 'http://127.0.0.1:4010',
    },
    {
      env: 'SMS_MEDIA_HOSTS',
      description:
        'Hosts an inbound MediaUrl may point at (comma-separated, *.example.com for subdomains); a webhook with media elsewhere (or not http(s)) is refused with the reason.',
      default: TWILIO_MEDIA_HOSTS.join(','),
      example: 'api.twilio.com,*.twiliocdn.com',
    },
    {
      env: 'TWILIO_ANSWERS_KEYWORDS',
      description:
        'true when Twilio answers STOP/START/HELP itself (its default); Parley then only records the answer. false: Parley sends the SMS_*_REPLY texts.',
      default: 'true',
      example: 'false',
    },
    {
      env: 'SMS_MAX_SEGMENTS',
      description: 'Most segments one outbound SMS may use (153 GSM-7 or 67 UCS-2 characters each: Persian/Arabic cost 67).',
      default: '3',
      example: '1',
    },
    {
      env: 'SMS_SEGMENT_LIMIT_MODE',
      description: 'What happens to longer text: split (several SMS, each within the limit) or truncate (cut at a word, ending in an ellipsis).',
      default: 'split',
      example: 'truncate',
    },
    {
      env: 'SMS_STOP_REPLY',
      description: 'Answer to STOP and its variants when the provider does not answer it (default: English, Persian or Arabic by the keyword).',
      example: 'Unsubscribed. Reply START to resubscribe.',
    },
    {
      env: 'SMS_START_REPLY',
      description: 'Answer to START and its variants when the provider does not answer it.',
      example: 'Subscribed again. Reply STOP to unsubscribe.',
    },
    {
      env: 'SMS_HELP_REPLY',
      description: 'Answer to HELP / INFO when the provider does not answer it.',
      example: 'Acme support: reply with your question. STOP to unsubscribe.',
    },
  ],
  create(env) {
    const missing = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'].filter((name) => !env[name]);
    if (missing.length > 0) return { off: `set ${missing.join(', ')} to turn SMS on (Twilio)` };
    const provider: SmsProvider = twilioProvider({
      accountSid: env.TWILIO_ACCOUNT_SID as string,
      authToken: env.TWILIO_AUTH_TOKEN as string,
      from: env.TWILIO_FROM as string,
      publicUrl: env.SMS_PUBLIC_URL || undefined,
      apiUrl: env.TWILIO_API_URL || undefined,
      answersKeywords: (env.TWILIO_ANSWERS_KEYWORDS ?? 'true') !== 'false',
      media: mediaFetchPolicy(env, 'SMS_MEDIA_HOSTS', TWILIO_MEDIA_HOSTS),
    });
    const mode = env.SMS_SEGMENT_LIMIT_MODE || 'split';
    if (mode !== 'split' && mode !== 'truncate') throw new Error(`SMS_SEGMENT_LIMIT_MODE="${mode}" is not split or truncate`);
    const reply = (custom: string | undefined, defaults: Record<string, string>) => (custom ? { en: custom, fa: custom, ar: custom } : defaults);
    return new SmsAdapter(provider, {
      maxSegments: positiveIntSetting(env, 'SMS_MAX_SEGMENTS', 3),
      segmentLimitMode: mode,
      consentReplies: {
        opt_out: reply(env.SMS_STOP_REPLY, DEFAULT_REPLIES.opt_out),
        opt_in: reply(env.SMS_START_REPLY, DEFAULT_REPLIES.opt_in),
        help: reply(env.SMS_HELP_REPLY, DEFAULT_REPLIES.help),
      },
    });
  },
};
