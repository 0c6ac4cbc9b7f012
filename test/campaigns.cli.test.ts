import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newRef } from '../src/core/ids.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { runParleyProcess } from './support/parley-process.ts';

/** `parley segments|campaigns` as an operator runs them, on the shipped examples, over seeded customers. */
describe.each(dialects)('parley segments and campaigns on %s', { timeout: 300_000 }, (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'parley-campaigns-cli-'));
  const parley = (...args: string[]) => runParleyProcess(args, '', { DATABASE_URL: db.url, LOG_LEVEL: 'warn', PARLEY_AGENT_LOCALE: 'en' });

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    // Two customers silent since January (lapsed), one who wrote last week.
    for (const [name, phone, seen] of [
      ['Sara', '+989121234567', '2026-01-01T10:00:00Z'],
      ['Omar', '+971501234567', '2026-01-02T10:00:00Z'],
      ['Emma', '+447400123456', new Date(Date.now() - 7 * 86_400_000).toISOString()],
    ] as const) {
      const id = newId();
      const identityId = newId();
      await db.prisma.customer.create({ data: { id, name, attributes: {}, tags: [], lastSeenAt: new Date(seen) }, select: { id: true } });
      await db.prisma.channelIdentity.create({ data: { id: identityId, customerId: id, channel: 'whatsapp', address: phone }, select: { id: true } });
      await db.prisma.conversation.create({
        data: { id: newId(), customerId: id, identityId, channel: 'whatsapp', status: 'resolved', ref: newRef(), lastMessageAt: new Date(seen) },
        select: { id: true },
      });
    }
  });
  afterAll(async () => {
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves and previews the shipped lapsed segment, adds the win-back campaign, lists, starts, pauses and reports it', async () => {
    expect(await parley('segments', 'add', 'lapsed', '--filter', '@examples/campaigns/lapsed.segment.yaml')).toMatchObject({
      code: 0,
      stdout: 'saved segment lapsed (2 customers now)\n',
    });
    const preview = await parley('segments', 'preview', 'lapsed', '--json');
    expect(JSON.parse(preview.stdout)).toMatchObject({ count: 2 });
    expect(
      JSON.parse(preview.stdout)
        .sample.map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(['Omar', 'Sara']);
    expect((await parley('campaigns', 'add', 'examples/campaigns/win-back.yaml')).stdout).toBe(
      'saved campaign win-back (draft; start it with: parley campaigns start "win-back")\n',
    );
    expect((await parley('campaigns', 'list')).stdout).toBe('win-back\twinback\tdraft\trun 0\tA:winback\n');
    expect((await parley('campaigns', 'start', 'win-back')).stdout).toBe('campaign win-back is running\n');
    expect((await parley('campaigns', 'pause', 'win-back')).stdout).toBe('campaign win-back is paused\n');
    const csv = await parley('campaigns', 'status', 'win-back', '--format', 'csv');
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual(['variant,metric,detail,count', 'all,targeted,,0']);
    const json = JSON.parse((await parley('campaigns', 'status', 'win-back', '--format', 'json')).stdout);
    expect(json).toMatchObject({ campaign: 'win-back', status: 'paused', goal: { type: 'replied', within: '7d' } });
  });

  it('says what is wrong and where: a second campaign of the same name, a text win-back, an unknown flow, a bad filter', async () => {
    const again = await parley('campaigns', 'add', 'examples/campaigns/win-back.yaml');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('a campaign named "win-back" exists already');
    const textWinback = join(dir, 'text-winback.yaml');
    writeFileSync(textWinback, 'name: miss-you\nkind: winback\nsegment: lapsed\ntext: { en: We miss you }\n');
    expect((await parley('campaigns', 'add', textWinback)).stderr).toContain(
      'campaign rejected: kind: a winback campaign starts a flow in each variant (the once-per-customer rule is kept per win-back flow): give flow, not text',
    );
    const unknownFlow = join(dir, 'unknown-flow.yaml');
    writeFileSync(unknownFlow, 'name: x\nsegment: lapsed\nflow: no_such_flow\n');
    expect((await parley('campaigns', 'add', unknownFlow)).stderr).toContain('flow: no loaded flow has the id "no_such_flow"');
    const filter = await parley('segments', 'preview', '--filter', '{"lastSeen": {"before": "soon"}}');
    expect(filter.code).not.toBe(0);
    expect(filter.stderr).toContain('--filter: lastSeen.before');
    expect((await parley('campaigns', 'status', 'nope')).stderr).toContain('campaign "nope"');
  });
});
