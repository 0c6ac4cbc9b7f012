import type { Database, Dialect } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { numberSeries } from '../../src/db/sql.ts';

/** Past customers to write: `count` of them, row ids starting with `prefix`, customer `i`'s WhatsApp number given by `phone` (SQL over `i`, 1 to count). */
export interface PastCustomers {
  readonly count: number;
  readonly prefix: string;
  readonly phone: (i: string, dialect: Dialect) => string;
}

/** SQL: `expr` as text, left-padded with zeros to `width`. */
const padded = (d: Dialect, expr: string, width: number) =>
  d === 'sqlite' ? `substr('${'0'.repeat(width)}' || (${expr}), -${width})` : `lpad((${expr})::text, ${width}, '0')`;

/** BENCH_E2E_HISTORY's customers: numbers +98935..., which the load never uses. */
export const historyCustomers = (count: number): PastCustomers => ({
  count,
  prefix: 'h',
  phone: (i, d) => `'+98935' || ${padded(d, i, 7)}`,
});

/**
 * A database as an installation that has been running for a while holds it (BENCH_E2E_HISTORY
 * customers), so that a cost growing with a table shows in the end-to-end figures; and the
 * load's own customers, as returning ones (BENCH_E2E_RETURNING). Each past customer has a
 * WhatsApp identity, attributes a flow collected (a third an email, a third a mobile
 * number), one resolved conversation of four
 * messages (two in, two out and sent), their two inbox events and two outbox rows, and a
 * completed welcome flow session. Written with INSERT ... SELECT over a number series.
 */
export async function seedHistory(db: Database, past: PastCustomers): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  await migrate(db);
  const d = db.dialect;
  const numbers = numberSeries(d, past.count);
  const h = past.prefix;
  // Times relative to now: every past customer was last seen 1 to 80 days ago, so none crosses the
  // shipped win-back flow's 90 days of inactivity during the run (that would start a campaign).
  const literal = (daysAgo: number) => {
    const iso = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    return d === 'sqlite' ? `'${iso.replace('Z', '+00:00')}'` : `'${iso.replace('T', ' ').replace('Z', '')}'::timestamp(3)`;
  };
  const at = (fromDays: number, toDays: number) =>
    `CASE i % 8 ${Array.from({ length: 8 }, (_, k) => `WHEN ${k} THEN ${literal(fromDays + ((toDays - fromDays) * k) / 7)}`).join(' ')} END`;
  const json = (pairs: string) => (d === 'sqlite' ? `json_object(${pairs})` : `jsonb_build_object(${pairs})`);
  const phone = past.phone('i', d);
  const attributes = `CASE i % 3 WHEN 0 THEN ${json(`'email', 'past' || i || '@example.com'`)} WHEN 1 THEN ${json(`'mobile', '+98912' || ${padded(d, 'i + 5000000', 7)}`)} ELSE ${json("'city', 'Shiraz'")} END`;
  // The stage the hourly lifecycle sweep gives them (at risk after 45 days without a message), so that its first run changes nothing.
  const stage = `CASE WHEN i % 8 < 4 THEN 'active' ELSE 'at_risk' END${d === 'postgresql' ? '::"LifecycleStage"' : ''}`;
  const statements = [
    `INSERT INTO "Customer" ("id", "name", "searchName", "locale", "lifecycleStage", "attributes", "tags", "firstSeenAt", "lastSeenAt", "createdAt", "updatedAt")
     SELECT '${h}c' || i, 'مشتری ' || i, 'مشتری ' || i, 'fa', ${stage}, ${attributes}, '[]', ${at(100, 200)}, ${at(1, 80)}, ${at(100, 200)}, ${at(1, 80)} FROM n`,
    `INSERT INTO "ChannelIdentity" ("id", "customerId", "channel", "address", "displayName", "createdAt")
     SELECT '${h}i' || i, '${h}c' || i, 'whatsapp', ${phone}, 'مشتری ' || i, ${at(100, 200)} FROM n`,
    `INSERT INTO "Conversation" ("id", "customerId", "identityId", "channel", "status", "createdAt", "lastMessageAt", "resolvedAt")
     SELECT '${h}v' || i, '${h}c' || i, '${h}i' || i, 'whatsapp', 'resolved', ${at(2, 81)}, ${at(1, 80)}, ${at(1, 80)} FROM n`,
    ...[0, 1].map(
      (
        k,
      ) => `INSERT INTO "Message" ("id", "conversationId", "channel", "direction", "authorKind", "text", "attachments", "externalId", "deliveryStatus", "createdAt")
     SELECT '${h}m${k}in' || i, '${h}v' || i, 'whatsapp', 'inbound', 'customer', 'سلام ${k}', '[]', 'wamid.${h}.${k}.' || i, 'received', ${at(1, 80)} FROM n`,
    ),
    ...[0, 1].map(
      (
        k,
      ) => `INSERT INTO "Message" ("id", "conversationId", "channel", "direction", "authorKind", "text", "attachments", "externalId", "deliveryStatus", "createdAt", "sentAt")
     SELECT '${h}m${k}out' || i, '${h}v' || i, 'whatsapp', 'outbound', 'bot', 'خوش آمدید ${k}', '[]', 'wamid.${h}.out.${k}.' || i, 'sent', ${at(1, 80)}, ${at(1, 80)} FROM n`,
    ),
    ...[0, 1].map(
      (k) => `INSERT INTO "InboxEvent" ("id", "channel", "externalId", "laneKey", "payload", "status", "attempts", "receivedAt", "processedAt")
     SELECT '${h}e${k}' || i, 'whatsapp', 'wamid.${h}.${k}.' || i, 'in:whatsapp:' || ${phone}, '{}', 'done', 1, ${at(1, 80)}, ${at(1, 80)} FROM n`,
    ),
    ...[0, 1].map(
      (
        k,
      ) => `INSERT INTO "OutboxItem" ("id", "messageId", "channel", "recipient", "laneKey", "payload", "status", "attempts", "nextAttemptAt", "createdAt", "updatedAt")
     SELECT '${h}o${k}' || i, '${h}m${k}out' || i, 'whatsapp', ${phone}, 'out:whatsapp:' || ${phone}, '{}', 'sent', 1, ${at(1, 80)}, ${at(1, 80)}, ${at(1, 80)} FROM n`,
    ),
    `INSERT INTO "FlowSession" ("id", "conversationId", "customerId", "flowId", "flowVersion", "stepId", "status", "variables", "createdAt", "updatedAt", "completedAt")
     SELECT '${h}s' || i, '${h}v' || i, '${h}c' || i, 'welcome', 'history', 'done', 'completed', '{}', ${at(1, 80)}, ${at(1, 80)}, ${at(1, 80)} FROM n`,
  ];
  let rows = 0;
  for (const statement of statements) rows += await db.prisma.$executeRawUnsafe(`${numbers} ${statement}`);
  if (d === 'postgresql') await db.prisma.$executeRawUnsafe('ANALYZE');
  return { rows, seconds: (performance.now() - started) / 1000 };
}
