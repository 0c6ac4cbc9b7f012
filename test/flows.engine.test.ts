import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConversation } from '../src/crm/conversations.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Flow } from '../src/flows/schema.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import { winbackKey } from '../src/flows/winback.ts';
import type { RoutingConfig } from '../src/routing/config.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

function flow(yaml: string): Flow {
  const result = parseFlowFile('test.yaml', yaml);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return result.flow;
}

const SURVEY = `
id: survey
name: Survey
locales: [en, fa]
triggers:
  - keyword: { en: [survey], fa: [نظرسنجی] }
settings:
  retries: 1
  remind_after: 1h
  give_up_after: 2h
steps:
  - id: rate
    ask:
      type: rating
      text: { en: "Rate us 1-5", fa: "از ۱ تا ۵ امتیاز دهید" }
      error: { en: "1 to 5 please", fa: "لطفاً ۱ تا ۵" }
      save: score
  - id: low
    branch:
      cases:
        - when: { var: score, lte: 2 }
          goto: sorry
  - id: record
    survey: { kind: csat, score: score }
  - id: thanks
    end: { say: { en: "Thanks for {{score}}!", fa: "ممنون برای {{score}}!" } }
  - id: sorry
    say: { en: "Sorry about the {{score}}.", fa: "بابت {{score}} متأسفیم." }
    next: record
`;

const PROFILE = `
id: profile
name: Profile
locales: [en]
triggers:
  - first_message: true
steps:
  - id: name
    ask: { type: text, text: "Your name?", save: name, save_attribute: name }
  - id: city
    ask:
      type: choice
      text: "Where do you live, {{name}}?"
      choices:
        - { id: tehran, label: Tehran }
        - { id: dubai, label: Dubai }
      save: city
      save_attribute: city
  - id: prefs
    set:
      variables: { greeting: "Hi {{name}} from {{city_label}}" }
      attributes: { segment: "{{city}}-resident" }
  - id: mark
    tag: [profiled, newcomer]
  - id: unmark
    untag: [newcomer]
  - id: vip_check
    branch:
      cases:
        - when: { all: [{ attribute: city, eq: dubai }, { channel: whatsapp }, { locale: en }, { tag: profiled }] }
          goto: vip
      else: bye
  - id: vip
    say: "{{greeting}} (VIP)"
    next: end
  - id: bye
    say: "{{greeting}}"
`;

const HUB = `
id: hub
name: Hub
locales: [en]
triggers:
  - pattern: "^order\\\\s*#?\\\\d+"
  - intent: complaint
  - default: true
steps:
  - id: lookup
    webhook:
      url: "{{hook}}/orders?customer={{customer.name}}"
      method: POST
      body: { text: "hello {{customer.name}}" }
      timeout: 500ms
      save: { order_status: data.status }
      on_error: offline
  - id: status
    say: "Your order is {{order_status}}."
    next: sort
  - id: offline
    say: "Order lookup is down ({{webhook_error}})."
  - id: sort
    classify:
      routes: { complaint: complain }
      else: later
  - id: complain
    ticket:
      kind: complaint
      category: "{{intent}}"
      subject: "Complaint from {{customer.name}}"
      priority: high
      fields: { said: "{{intent}}" }
  - id: told
    say: "Ticket {{ticket_ref}} opened."
  - id: pass
    handoff: { team: care, priority: urgent, note: "Ticket {{ticket_ref}}" }
  - id: later
    wait: 10m
  - id: after_wait
    say: "Still there?"
  - id: other
    start_flow: survey
`;

/** A win-back flow that only says goodbye: the sweep tests count who got it. */
const FAREWELL_WINBACK = `
id: winback
name: Win-back
locales: [en]
triggers:
  - inactive: 30d
steps:
  - id: bye
    end: { say: "We miss you!" }
`;

describe.each(dialects)('flow engine on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let clock: Date;
  let hookServer: Server | undefined;

  const open = async (
    flows: Flow[],
    options: { fetch?: typeof fetch; routingConfig?: RoutingConfig; inactiveSweepPage?: number; env?: Record<string, string> } = {},
  ) => {
    const registry = FlowRegistry.of([], silentLogger, db);
    for (const f of flows) await registry.remember({ flow: f, file: `${f.id}.yaml`, source: sourceOf(f) });
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, { adapters: [adapter], flows: registry, now: () => clock, ...options });
    await parley.startChannels();
    return parley;
  };
  const sources = new Map<string, string>();
  const define = (yaml: string) => {
    const f = flow(yaml);
    sources.set(`${f.id}@${f.version}`, yaml);
    return f;
  };
  const sourceOf = (f: Flow) => sources.get(`${f.id}@${f.version}`) ?? '';
  let seq = 0;
  const say = async (text: string, from = '+989121234567', extra: Record<string, unknown> = {}) => {
    await adapter.context!.receive({ externalId: `m${++seq}`, sender: { address: from, addressKind: 'phone' }, text, raw: {}, ...extra });
    await settle(parley);
  };
  const texts = () =>
    adapter.sent.map((m) =>
      [m.content.text, ...(m.content.buttons?.map((b) => `[${b.title}]`) ?? []), ...(m.content.list?.sections[0]?.rows.map((r) => `<${r.title}>`) ?? [])].join(
        ' ',
      ),
    );
  const advance = async (ms: number) => {
    clock = new Date(clock.getTime() + ms);
    await settle(parley);
  };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    clock = new Date('2026-11-23T10:00:00Z');
    seq = 0;
  });
  afterEach(async () => {
    await parley?.stop();
    await db.dispose();
    hookServer?.close();
    hookServer = undefined;
  });

  it('asks, saves answers into variables and attributes, sets, tags, branches and renders buttons', async () => {
    await open([define(PROFILE)]);
    await say('hello');
    await say('Sara');
    await say('2');
    expect(texts()).toEqual(['Your name?', 'Where do you live, Sara? [Tehran] [Dubai]', 'Hi Sara from Dubai (VIP)']);
    const customer = await db.prisma.customer.findFirstOrThrow();
    expect(customer.name).toBe('Sara');
    expect(customer.attributes).toEqual({ city: 'dubai', segment: 'dubai-resident' });
    expect(customer.tags).toEqual(['profiled']);
    const session = await db.prisma.flowSession.findFirstOrThrow();
    expect(session).toMatchObject({
      flowId: 'profile',
      status: 'completed',
      variables: expect.objectContaining({ name: 'Sara', city: 'dubai', city_label: 'Dubai' }),
    });
  });

  it('re-asks with the flow error text in the customer language, then falls back to a hand-off', async () => {
    await open([define(SURVEY)]);
    await say('نظرسنجی؟');
    await say('شاید');
    await say('۹');
    expect(texts()).toEqual([
      'از ۱ تا ۵ امتیاز دهید [1] [2] [3] [4] [5]'.replace(' [1] [2] [3] [4] [5]', ' <1> <2> <3> <4> <5>'),
      'لطفاً ۱ تا ۵\nاز ۱ تا ۵ امتیاز دهید <1> <2> <3> <4> <5>',
      // The fallback hand-off tells the customer what happens next, in their language.
      'گفت‌وگوی شما را به یکی از همکارانمان می‌سپارم؛ همین‌جا به شما پاسخ می‌دهند.',
    ]);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation.status).toBe('waiting_for_agent');
    await say('hello?');
    expect(adapter.sent).toHaveLength(3); // a person has it now: the bot stays quiet
    const stats = await db.prisma.flowStepCount.groupBy({ by: ['stepId', 'kind'], _sum: { count: true }, orderBy: [{ stepId: 'asc' }, { kind: 'asc' }] });
    expect(stats.map((s) => `${s.stepId}:${s.kind}:${s._sum.count}`)).toEqual(['rate:completed:1', 'rate:entered:1', 'rate:invalid:2']);
  });

  it('reads an answer in Arabic-Indic digits, records the survey and ends with a templated goodbye', async () => {
    await open([define(SURVEY)]);
    await say('Survey, please!');
    await say('٥');
    expect(texts()[1]).toBe('Thanks for 5!');
    expect(await db.prisma.surveyResponse.findMany({ select: { kind: true, score: true } })).toEqual([{ kind: 'csat', score: 5 }]);
  });

  it('calls a webhook, classifies, opens a ticket with a reference, hands off with priority; a failing webhook takes its error path', async () => {
    const received: { url: string; body: string }[] = [];
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { status: 'on its way' } }));
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => hookServer!.once('listening', r));
    const hook = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
    const hub = define(HUB.replace('{{hook}}', hook));
    await open([hub, define(SURVEY)]);
    await db.prisma.customer.create({ data: { id: 'c1', name: 'Ali', attributes: {}, tags: [] } });
    await db.prisma.channelIdentity.create({ data: { id: 'i1', customerId: 'c1', channel: 'whatsapp', address: '+989121234567' } });
    await say('order #123 is broken and late');
    expect(received).toEqual([{ url: '/orders?customer=Ali', body: JSON.stringify({ text: 'hello Ali' }) }]);
    const ticket = await db.prisma.ticket.findFirstOrThrow();
    expect(ticket).toMatchObject({ kind: 'complaint', category: 'complaint', priority: 'high', subject: 'Complaint from Ali', fields: { said: 'complaint' } });
    expect(ticket.ref).toMatch(/^CMP-[2-9A-Z]{6}$/);
    expect(texts()).toEqual(['Your order is on its way.', `Ticket ${ticket.ref} opened.`]);
    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation).toMatchObject({ status: 'waiting_for_agent', priority: 'urgent', team: { name: 'care' } });

    // Another customer; the order service is down this time.
    hookServer.close();
    await say('hello there', '+989121111111');
    expect(texts().at(-1)).toMatch(/^Order lookup is down \(.+\)\.$/);
  });

  it('a wait resumes at its time (or when the customer writes); a reminder follows an unanswered ask, then the flow gives up', async () => {
    await open([define(HUB.replace('{{hook}}', 'http://127.0.0.1:9')), define(SURVEY)]);
    await say('hi');
    expect(texts().at(-1)).toMatch(/^Order lookup is down/);
    await advance(9 * 60_000);
    expect(texts().at(-1)).toMatch(/^Order lookup is down/);
    await advance(2 * 60_000);
    // after the wait: "Still there?" then start_flow survey asks at once.
    expect(texts().slice(-2)).toEqual(['Still there?', 'Rate us 1-5 <1> <2> <3> <4> <5>']);
    await advance(61 * 60_000);
    expect(texts().at(-1)).toBe('Just a reminder: we are still waiting for your answer.\nRate us 1-5 <1> <2> <3> <4> <5>');
    await advance(2 * 60 * 60_000 + 1000);
    const sessions = await db.prisma.flowSession.findMany({ orderBy: { createdAt: 'asc' } });
    expect(sessions.map((s) => `${s.flowId}:${s.status}`)).toEqual(['hub:completed', 'survey:abandoned']);
    const timedOut = await db.prisma.flowStepCount.aggregate({ where: { kind: 'timed_out', stepId: 'rate' }, _sum: { count: true } });
    expect(timedOut._sum.count).toBe(1);
  });

  it('resumes mid-flow after a restart, on the version the session started with', async () => {
    const v1 = define(SURVEY);
    await open([v1]);
    await say('survey');
    await parley.stop();
    // The file changes while the customer thinks: new sessions get v2, this one stays on v1.
    const v2 = define(SURVEY.replace('Thanks for {{score}}!', 'Much obliged for {{score}}!'));
    expect(v2.version).not.toBe(v1.version);
    const registry = FlowRegistry.of([], silentLogger, db);
    await registry.remember({ flow: v2, file: 'survey.yaml', source: sourceOf(v2) });
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, { adapters: [adapter], flows: registry, now: () => clock });
    await parley.startChannels();
    await say('4');
    expect(texts()).toEqual(['Thanks for 4!']);
    await say('survey', '+989122222222');
    await say('4', '+989122222222');
    expect(texts().at(-1)).toBe('Much obliged for 4!');
  });

  it('starts the CSAT flow when a conversation is resolved; the answer keeps it resolved', async () => {
    const csat = define(`
id: csat
name: CSAT
locales: [en]
triggers:
  - event: conversation.resolved
steps:
  - id: rate
    ask: { type: rating, text: "How did we do?", save: csat }
  - id: record
    survey: { kind: csat, score: csat }
  - id: bye
    end: { say: "Thanks!" }
`);
    await open([csat]);
    await say('hello'); // no trigger matches: the plain acknowledgement
    expect(texts()).toEqual(['Thanks for your message! We have received it and will get back to you shortly.']);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await resolveConversation(db, parley.events, conversation.id, 'agent:a1', clock);
    await settle(parley);
    expect(texts().at(-1)).toBe('How did we do? <1> <2> <3> <4> <5>');
    await say('5');
    expect(texts().at(-1)).toBe('Thanks!');
    const after = await db.prisma.conversation.findFirstOrThrow();
    expect(after.status).toBe('resolved');
    expect(after.resolvedAt?.getTime()).toBe(clock.getTime());
    expect(await db.prisma.surveyResponse.count()).toBe(1);
  });

  it('starts a flow some time after a ticket is closed (event trigger with a delay)', async () => {
    const check = define(`
id: check
name: Satisfaction check
locales: [en]
triggers:
  - event: ticket.closed
    delay: 30m
steps:
  - id: solved
    ask: { type: yes_no, text: "Is your problem solved?", save: solved }
  - id: bye
    end: { say: "Thank you." }
`);
    await open([check]);
    await say('hello');
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await db.write((tx) =>
      parley.events.emit(tx, [{ type: 'ticket.closed', ticketId: 't1', customerId: conversation.customerId, conversationId: conversation.id }], clock),
    );
    await settle(parley);
    expect(adapter.sent).toHaveLength(1);
    await advance(31 * 60_000);
    expect(texts().at(-1)).toBe('Is your problem solved? [Yes] [No]');
    await say('بله');
    expect(texts().at(-1)).toBe('Thank you.');
    expect((await db.prisma.flowSession.findFirstOrThrow({ where: { flowId: 'check' } })).variables).toMatchObject({ solved: true });
  });

  it('an agent can start a flow in a conversation a person handles; automatic triggers never talk over a person', async () => {
    await open([define(SURVEY)]);
    await say('survey');
    await say('x');
    await say('y'); // retries exhausted -> hand-off
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation.status).toBe('waiting_for_agent');
    const before = adapter.sent.length;
    await say('survey'); // keyword, but a person has the conversation
    expect(adapter.sent.length).toBe(before);
    await db.write((tx) =>
      parley.events.emit(
        tx,
        [{ type: 'flow.start_requested', conversationId: conversation.id, customerId: conversation.customerId, flowId: 'survey', by: 'agent:a1' }],
        clock,
      ),
    );
    await settle(parley);
    expect(texts().at(-1)).toBe('Rate us 1-5 <1> <2> <3> <4> <5>');
    await say('3');
    expect(texts().at(-1)).toBe('Thanks for 3!');
  });

  it('wins back customers inactive past the threshold, once each', async () => {
    const winback = define(`
id: winback
name: Win-back
locales: [en]
triggers:
  - inactive: 30d
steps:
  - id: ask
    ask: { type: yes_no, text: "We miss you{{#customer.name}}, {{customer.name}}{{/customer.name}}! Come back?", save: back }
  - id: bye
    end: { say: "Noted." }
`);
    await open([winback]);
    await say('hello');
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    expect(adapter.sent).toHaveLength(1); // not inactive yet
    await advance(31 * 24 * 3_600_000);
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    expect(texts().at(-1)).toBe('We miss you! Come back? [Yes] [No]');
    await advance(3_600_000);
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    expect(adapter.sent.filter((m) => m.content.text?.startsWith('We miss you'))).toHaveLength(1);
    await say('آره');
    expect(texts().at(-1)).toBe('Noted.');
  });

  it('the inactive sweep pages through every inactive customer: those won back already never hide newer ones', async () => {
    const winback = define(FAREWELL_WINBACK);
    const day = 24 * 3_600_000;
    // Two customers a page: each wave of three takes two pages.
    await open([winback], { inactiveSweepPage: 2 });
    const phones = Array.from({ length: 6 }, (_, i) => `+98912123450${i}`);
    const wonBack = () => adapter.sent.filter((m) => m.content.text === 'We miss you!').map((m) => m.recipient);
    const sweep = async () => {
      await parley.flowEngine!.scheduleSweep(clock);
      await settle(parley);
    };
    for (const phone of phones.slice(0, 3)) await say('hello', phone);
    await advance(31 * day);
    await sweep();
    expect(wonBack().sort()).toEqual(phones.slice(0, 3));
    // Three newer customers go quiet too; the first three, won back and still inactive, come first by id.
    for (const phone of phones.slice(3)) await say('hello', phone);
    await advance(31 * day);
    await sweep();
    expect(wonBack().sort()).toEqual(phones);
    const customers = await db.prisma.customer.findMany({ select: { id: true } });
    const keys = (await db.prisma.job.findMany({ where: { kind: 'flow.start' }, select: { dedupKey: true } })).map((j) => j.dedupKey);
    expect(keys.sort()).toEqual(customers.map((c) => winbackKey('winback', c.id)).sort());
    // A later sweep reaches nobody twice.
    await advance(3_600_000);
    await sweep();
    expect(wonBack()).toHaveLength(6);
  });

  it('the inactive sweep makes its win-backs due within the channel outreach budget (two a second at 4/s and 50%), not all at once', async () => {
    const winback = define(FAREWELL_WINBACK);
    // WhatsApp at 4 sends/s, outreach 50% of it: two win-backs a second.
    await open([winback], { env: { PARLEY_RATE_LIMITS: 'whatsapp=4/s', PARLEY_CAMPAIGN_RATE_SHARE: '50' } });
    const phones = Array.from({ length: 5 }, (_, i) => `+98912123460${i}`);
    for (const phone of phones) await say('hello', phone);
    await advance(31 * 24 * 3_600_000);
    const sweptAt = clock.getTime();
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    const starts = await db.prisma.job.findMany({ where: { kind: 'flow.start' }, orderBy: { runAt: 'asc' }, select: { runAt: true } });
    expect(starts.map((j) => j.runAt.getTime() - sweptAt)).toEqual([0, 0, 1000, 1000, 2000]);
    const wonBack = () => adapter.sent.filter((m) => m.content.text === 'We miss you!').length;
    expect(wonBack()).toBe(2);
    await advance(1000);
    expect(wonBack()).toBe(4);
    await advance(1000);
    expect(wonBack()).toBe(5);
  });

  it('the inactive trigger keeps to the contact policy across kinds: a survey counts against the win-back', async () => {
    const winback = define(FAREWELL_WINBACK);
    const csat = define(`
id: csat
name: CSAT
locales: [en]
triggers:
  - event: conversation.resolved
steps:
  - id: rate
    ask: { type: rating, text: "How did we do?", save: csat }
`);
    const day = 24 * 3_600_000;
    await open([winback, csat], { env: { PARLEY_CONTACT_CAP: '1/30d' } });
    await say('hello');
    // Ten days later the conversation is resolved: the CSAT flow we started is a contact; the customer never answers.
    await advance(10 * day);
    await resolveConversation(db, parley.events, (await db.prisma.conversation.findFirstOrThrow()).id, 'agent:a1', clock);
    await settle(parley);
    expect(texts().at(-1)).toBe('How did we do? <1> <2> <3> <4> <5>');
    await advance(3_600_000); // the reminder
    await advance(day); // the flow gives up
    expect(await db.prisma.flowSession.findFirstOrThrow({ where: { flowId: 'csat' } })).toMatchObject({ status: 'abandoned' });
    // Inactive for 31 days, but contacted 21 days ago: the overall cap (1 in 30 days) holds the win-back back.
    await advance(20 * day);
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    expect(await db.prisma.job.count({ where: { dedupKey: { startsWith: 'winback:' } } })).toBe(0);
    expect(texts()).not.toContain('We miss you!');
    // Once that contact is older than the cap's window, the next sweep wins the customer back, once.
    await advance(10 * day);
    await parley.flowEngine!.scheduleSweep(clock);
    await settle(parley);
    await advance(3_600_000);
    expect(texts().filter((t) => t === 'We miss you!')).toHaveLength(1);
    // Outside a channel's window the win-back goes as its winback template; the survey as a reply.
    expect(adapter.sent.find((m) => m.content.text === 'We miss you!')?.content.purpose).toBe('winback');
    expect(adapter.sent.find((m) => m.content.text?.startsWith('How did we do?'))?.content.purpose).toBeUndefined();
  });
});
