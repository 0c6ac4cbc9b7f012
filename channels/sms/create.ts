import type { ChannelFactory } from '../../src/core/channel.ts';
import { mediaFetchPolicy } from '../settings.ts';
import { SmsAdapter } from './adapter.ts';
import type { SmsProvider } from './provider.ts';
import { twilioProvider } from './providers/twilio.ts';
import { type SmsSettings, TWILIO_MEDIA_HOSTS } from './settings.ts';

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

/** The SMS adapter over Twilio from its settings (loaded only when the channel is on: it imports Twilio's SDK). */
export const create: ChannelFactory<SmsSettings> = (settings, env) => {
  const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_FROM: from } = settings;
  if (!accountSid || !authToken || !from) throw new Error('TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are required');
  const provider: SmsProvider = twilioProvider({
    accountSid,
    authToken,
    from,
    publicUrl: settings.SMS_PUBLIC_URL,
    apiUrl: settings.TWILIO_API_URL,
    answersKeywords: settings.TWILIO_ANSWERS_KEYWORDS,
    media: mediaFetchPolicy({ ...env, SMS_MEDIA_HOSTS: settings.SMS_MEDIA_HOSTS }, 'SMS_MEDIA_HOSTS', TWILIO_MEDIA_HOSTS),
  });
  const reply = (custom: string | undefined, defaults: Record<string, string>) => (custom ? { en: custom, fa: custom, ar: custom } : defaults);
  return new SmsAdapter(provider, {
    maxSegments: settings.SMS_MAX_SEGMENTS,
    segmentLimitMode: settings.SMS_SEGMENT_LIMIT_MODE,
    consentReplies: {
      opt_out: reply(settings.SMS_STOP_REPLY, DEFAULT_REPLIES.opt_out),
      opt_in: reply(settings.SMS_START_REPLY, DEFAULT_REPLIES.opt_in),
      help: reply(settings.SMS_HELP_REPLY, DEFAULT_REPLIES.help),
    },
  });
};
