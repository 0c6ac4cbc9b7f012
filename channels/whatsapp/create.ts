import type { ChannelFactory } from '../../src/core/channel.ts';
import { mediaFetchPolicy } from '../settings.ts';
import { CloudApiAdapter } from './adapter.ts';
import { GraphApi } from './graph.ts';
import { META_MEDIA_HOSTS, type WhatsAppSettings } from './settings.ts';

/** The Cloud API adapter from its settings (loaded only when the channel is on). */
export const create: ChannelFactory<WhatsAppSettings> = (settings, env) => {
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined) throw new Error(`${name} is required`);
    return value;
  };
  const graph = new GraphApi({
    baseUrl: settings.WHATSAPP_GRAPH_URL,
    version: settings.WHATSAPP_GRAPH_VERSION,
    accessToken: required(settings.WHATSAPP_ACCESS_TOKEN, 'WHATSAPP_ACCESS_TOKEN'),
    media: mediaFetchPolicy({ ...env, WHATSAPP_MEDIA_HOSTS: settings.WHATSAPP_MEDIA_HOSTS }, 'WHATSAPP_MEDIA_HOSTS', META_MEDIA_HOSTS),
  });
  return new CloudApiAdapter(graph, {
    phoneNumberId: required(settings.WHATSAPP_PHONE_NUMBER_ID, 'WHATSAPP_PHONE_NUMBER_ID'),
    appSecret: required(settings.WHATSAPP_APP_SECRET, 'WHATSAPP_APP_SECRET'),
    verifyToken: required(settings.WHATSAPP_VERIFY_TOKEN, 'WHATSAPP_VERIFY_TOKEN'),
    windowTemplate: settings.WHATSAPP_TEMPLATE_NAME
      ? { name: settings.WHATSAPP_TEMPLATE_NAME, language: settings.WHATSAPP_TEMPLATE_LANGUAGE, withText: settings.WHATSAPP_TEMPLATE_TEXT_PARAM }
      : undefined,
  });
};
