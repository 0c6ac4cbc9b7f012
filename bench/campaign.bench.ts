// npm run bench:campaign: one campaign to 10,000 customers on SQLite, sent through the real
// job runner and outbox to a fake WhatsApp adapter with WhatsApp's published rate (80/s per
// number). The campaign clock is simulated (each round advances it by the campaigns' window), so
// the figures do not wait out the provider's rate: they show how many sends campaigns queue per
// second of the clock (at most PARLEY_CAMPAIGN_RATE_SHARE of 80/s) and how fast Parley itself
// targets, queues and sends them (wall clock), i.e. the headroom under the provider's limit.
// Figures are printed, not asserted.
import { addCampaign, getCampaign, startCampaign } from '../src/campaigns/campaigns.ts';
import { addSegment } from '../src/campaigns/segments.ts';
import { newId } from '../src/core/ids.ts';
import { freshDatabase } from '../test/support/databases.ts';
import { FakeAdapter, testCapabilities, testParley } from '../test/support/parley.ts';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const WHATSAPP = { count: 80, perMs: 1000 };
const SHARE = 50;

const db = await freshDatabase('sqlite');
let now = new Date('2026-03-10T08:00:00Z');
const adapter = new FakeAdapter('whatsapp', { ...testCapabilities, rateLimits: { perChannel: WHATSAPP } });
const parley = await testParley(db, {
  adapters: [adapter],
  now: () => now,
  env: { PARLEY_CAMPAIGN_RATE_SHARE: String(SHARE), PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00', PARLEY_CONSENT_CHANNELS: 'none' },
});
try {
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
    id: newId(),
    name: `c${i}`,
    locale: ['en', 'fa', 'ar'][i % 3] as string,
    attributes: {},
    tags: [],
  }));
  for (let i = 0; i < customers.length; i += 1000) {
    const page = customers.slice(i, i + 1000);
    await db.prisma.customer.createMany({ data: page });
    await db.prisma.channelIdentity.createMany({
      data: page.map((c, j) => ({ id: newId(), customerId: c.id, channel: 'whatsapp', address: `+98912${String(i + j).padStart(7, '0')}` })),
    });
  }
  await addSegment(db, { name: 'everyone', filter: { channels: ['whatsapp'] } }, 'bench');
  await addCampaign(
    db,
    { name: 'bench', segment: 'everyone', text: { en: 'Hi {{customer.name}}', fa: 'سلام {{customer.name}}', ar: 'مرحبا {{customer.name}}' } },
    () => true,
    'bench',
  );
  await startCampaign(db, 'bench', 'bench', now);

  const started = performance.now();
  const begin = now.getTime();
  let sendWallMs = 0;
  let rounds = 0;
  let targetedMs = 0;
  let peakPerWindow = 0;
  while ((await getCampaign(db, 'bench')).status === 'running') {
    const before = await db.prisma.campaignRecipient.count({ where: { status: 'queued' } });
    await parley.jobs.drain();
    if (rounds === 0) targetedMs = performance.now() - started;
    const queued = (await db.prisma.campaignRecipient.count({ where: { status: 'queued' } })) - before;
    peakPerWindow = Math.max(peakPerWindow, queued);
    // The outbox sends what was queued; its own limiter allows 80/s of real time, more than the 40 a window queues.
    const t = performance.now();
    await parley.dispatcher.drain({ timeoutMs: 60_000 });
    sendWallMs += performance.now() - t;
    now = new Date(now.getTime() + 1000);
    rounds++;
  }
  const wallMs = performance.now() - started;
  const simulatedS = (now.getTime() - begin) / 1000;
  const sent = adapter.sent.length;
  const queueRate = sent / simulatedS;
  const capacity = sent / ((wallMs - sendWallMs) / 1000);
  console.log(`campaign to ${CUSTOMERS} customers on SQLite, WhatsApp limit ${WHATSAPP.count}/s, campaign share ${SHARE}%`);
  console.log(`  targeted (segment read, ${CUSTOMERS} recipients written) and first window queued in ${(targetedMs / 1000).toFixed(2)} s`);
  console.log(`  sent ${sent} in ${simulatedS.toFixed(0)} s of campaign clock: ${queueRate.toFixed(1)}/s, at most ${peakPerWindow} a second`);
  console.log(
    `  headroom under the provider limit: ${(WHATSAPP.count - queueRate).toFixed(1)}/s (${(100 - (queueRate / WHATSAPP.count) * 100).toFixed(0)}%) left for conversations`,
  );
  console.log(
    `  Parley's own pace (wall clock, outbox sends excluded): ${capacity.toFixed(0)} queued/s = ${(capacity / WHATSAPP.count).toFixed(1)}x the provider limit`,
  );
  console.log(
    // Its bucket refills while the job rounds run: no rate is read from this time.
    `  outbox: ${sent} sends in ${(sendWallMs / 1000).toFixed(1)} s spent sending (its limiter at ${WHATSAPP.count}/s refills between rounds)`,
  );
} finally {
  await parley.stop();
  await db.dispose();
}
