import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smsChannel } from '../channels/sms/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase } from './support/databases.ts';
import { FakeHttpServer, json } from './support/fake-http.ts';
import { settle, testParley } from './support/parley.ts';

/** Recorded Twilio webhooks (channels/sms/fixtures/SOURCES.md). */
const FIXTURES = fileURLToPath(new URL('../channels/sms/fixtures/inbound/', import.meta.url));
/** Twilio's example sender +11234567890 is not a valid number (area code 123): a valid one takes its place. */
const CUSTOMER = '+12025550143';
const fixture = (name: string): Record<string, string> => {
  const fields = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, string>;
  return { ...fields, From: CUSTOMER };
};
const ACCOUNT = 'AC00000000000000000000000000000001';
const TOKEN = 'twilio-auth-token';
const PUBLIC = 'https://parley.example.com';

describe('SMS through Twilio: recorded keyword payloads', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let api: FakeHttpServer;
  let parley: Parley;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    api = new FakeHttpServer();
    const apiUrl = await api.listen();
    let sid = 0;
    api.route = (_request, response) => json(response, 201, { sid: `SM${String(++sid).padStart(32, 'f')}`, status: 'queued' });
    const env = {
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: '+12345678901',
      TWILIO_API_URL: apiUrl,
      SMS_PUBLIC_URL: PUBLIC,
      PARLEY_ACK_TEXT: 'Thanks, we got it.',
    };
    parley = await testParley(db, { adapters: [(await openChannel(smsChannel, env)) as ChannelAdapter], env });
    await parley.startChannels();
    app = await buildServer(parley);
  });

  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await api.close();
    await db.dispose();
  });

  function post(fields: Record<string, string>) {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}/webhooks/sms/inbound`, fields);
    return app.inject({
      method: 'POST',
      url: '/webhooks/sms/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(fields).toString(),
    });
  }

  const identity = () => db.prisma.channelIdentity.findFirstOrThrow({ where: { address: CUSTOMER } });
  const sends = () => api.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/Messages.json'));

  it('answers an ordinary message (the recorded payload as Twilio sends it)', async () => {
    expect((await post(fixture('text'))).statusCode).toBe(200);
    await settle(parley);
    expect(sends()).toHaveLength(1);
    expect(await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } })).toMatchObject({ text: 'Ahoy!' });
  });

  it.each(['stop', 'optout', 'revoke', 'custom-opt-out-keyword'])('%s opts the customer out, and Parley sends nothing (Twilio answered)', async (name) => {
    await post(fixture('text'));
    await settle(parley);
    const before = sends().length;
    expect((await post(fixture(name))).statusCode).toBe(200);
    await settle(parley);
    expect((await identity()).optedOutAt).not.toBeNull();
    expect(sends()).toHaveLength(before);
  });

  it('OPTOUT and REVOKE without OptOutType (Twilio’s default handling) are Twilio’s words too: opted out, no reply from Parley', async () => {
    for (const name of ['optout', 'revoke']) {
      const fields = fixture(name);
      delete fields.OptOutType;
      expect((await post(fields)).statusCode).toBe(200);
    }
    await settle(parley);
    expect((await identity()).optedOutAt).not.toBeNull();
    expect(sends()).toHaveLength(0);
    expect(await db.prisma.message.count({ where: { direction: 'outbound', deliveryStatus: 'sent' } })).toBe(2);
  });

  it('records Twilio’s own answer to its default words; a custom keyword’s answer (configured in Twilio) is not invented', async () => {
    await post(fixture('revoke'));
    await post(fixture('custom-opt-out-keyword'));
    await settle(parley);
    const outbound = await db.prisma.message.findMany({ where: { direction: 'outbound' } });
    expect(outbound).toEqual([
      expect.objectContaining({
        deliveryStatus: 'sent',
        text: 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
      }),
    ]);
    expect(await db.prisma.outboxItem.count()).toBe(0);
  });

  it('honours OptOutType START and HELP for custom keywords: opted back in, no flow answer, nothing sent by Parley', async () => {
    await post(fixture('custom-opt-out-keyword'));
    await settle(parley);
    expect((await identity()).optedOutAt).not.toBeNull();
    await post(fixture('custom-opt-in-keyword'));
    await post(fixture('custom-help-keyword'));
    await settle(parley);
    expect((await identity()).optedOutAt).toBeNull();
    expect(sends()).toHaveLength(0);
    // "REPRENDRE" and "AIDE" are stored for the agent but never answered as questions.
    expect(await db.prisma.message.findMany({ where: { direction: 'inbound' }, select: { text: true }, orderBy: { id: 'asc' } })).toEqual([
      { text: 'ARRET' },
      { text: 'REPRENDRE' },
      { text: 'AIDE' },
    ]);
  });
});
