import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('database on %s', (dialect) => {
  let db: TestDatabase;

  afterEach(async () => {
    await db.dispose();
  });

  it('is created by the migrations, and migrating again applies nothing', async () => {
    db = await freshDatabase(dialect);
    expect(await migrate(db)).toEqual({ applied: [] });
    const tables = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
      dialect === 'sqlite'
        ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`
        : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        'Agent',
        'AuditLog',
        'CannedResponse',
        'ChannelIdentity',
        'Conversation',
        'ConversationSnooze',
        'Customer',
        'EarlyDeliveryStatus',
        'FlowSession',
        'InboxEvent',
        'Job',
        'Lease',
        'Message',
        'OutboxItem',
        'SlackPost',
        'SlackThread',
        'SurveyResponse',
        'Team',
        'TeamMember',
        'Ticket',
      ].sort(),
    );
  });

  it('stores Json, enums and dates and enforces one identity per channel address', async () => {
    db = await freshDatabase(dialect);
    const customer = await db.prisma.customer.create({
      data: { id: newId(), name: 'سارا', attributes: { city: 'شیراز', orders: 3 }, tags: ['vip'], lifecycleStage: 'at_risk' },
    });
    const identity = { id: newId(), customerId: customer.id, channel: 'sms', address: '+989121234567' };
    await db.prisma.channelIdentity.create({ data: identity });
    await expect(db.prisma.channelIdentity.create({ data: { ...identity, id: newId() } })).rejects.toMatchObject({ code: 'P2002' });
    const read = await db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(read).toMatchObject({ name: 'سارا', attributes: { city: 'شیراز', orders: 3 }, tags: ['vip'], lifecycleStage: 'at_risk' });
    expect(read.firstSeenAt).toBeInstanceOf(Date);
  });

  if (dialect === 'sqlite') {
    it('leaves the file unlocked and in WAL mode after migrating', async () => {
      db = await freshDatabase('sqlite');
      const again = await openDatabase(db.url);
      const [mode] = await again.prisma.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
      expect(mode?.journal_mode).toBe('wal');
      await again.prisma.$executeRawUnsafe('CREATE TABLE scratch (x INTEGER)');
      await again.close();
      expect(existsSync(db.path as string)).toBe(true);
    });
  }
});
