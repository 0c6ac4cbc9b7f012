import { describe, expect, it } from 'vitest';
import { classifyByKeywords, type Classification } from '../src/flows/intent.ts';
import type { Flow } from '../src/flows/schema.ts';
import { eventStartJobs, flowsFor, pickFlow, queuedSurveyStartJobs, START_JOB } from '../src/flows/triggers.ts';
import { parseFlowFile } from '../src/flows/validate.ts';

// Which flow a message starts (src/flows/triggers.ts), without an engine or a database.

function define(id: string, triggers: string): Flow {
  const result = parseFlowFile(`${id}.yaml`, `id: ${id}\nname: ${id}\nlocales: [en, fa, ar]\ntriggers:\n${triggers}\nsteps:\n  - id: hi\n    say: "hi"\n`);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return result.flow;
}

const COMPLAINT = define('complaint', '  - keyword: { en: [complaint], fa: [شکایت], ar: [شكوى] }\n  - intent: complaint');
const COMPLAINT_WORDS = define('complaint_words', '  - keyword: [complaint]');
const ORDER = define('order', '  - pattern: "order\\\\s*#?\\\\d+"');
const REFUND = define('refund', '  - keyword: [refund, "money back"]');
const WELCOME = define('welcome', '  - first_message: true');
const MENU = define('menu', '  - default: true');
const SURVEY = define('survey', '  - event: conversation.resolved\n    delay: 1h\n  - event: ticket.closed');
const WINBACK = define('winback', '  - inactive: 90d');
const ALL = [COMPLAINT, ORDER, REFUND, WELCOME, MENU, SURVEY, WINBACK];

/** The keyword classifier, counting the texts it was asked about. */
function classifier() {
  const asked: string[] = [];
  const classify = async (text: string): Promise<Classification> => {
    asked.push(text);
    return classifyByKeywords(text);
  };
  return { asked, classify };
}

describe('pickFlow: the trigger selection table', () => {
  const table: { text: string | undefined; isNew?: boolean; flows?: Flow[]; expected: string | undefined }[] = [
    // Keywords: folded, whole words, punctuation as a word break, in every locale's list.
    { text: 'complaint', expected: 'complaint' },
    { text: 'I have a COMPLAINT!', expected: 'complaint' },
    { text: 'complaint?', expected: 'complaint' },
    { text: 'یک شکایت دارم', expected: 'complaint' },
    { text: 'شكوى، من فضلك', expected: 'complaint' },
    { text: 'complaints department', isNew: false, flows: [COMPLAINT_WORDS, MENU], expected: 'menu' },
    { text: 'I want my money back.', expected: 'refund' },
    { text: 'refunded', isNew: false, flows: [REFUND, MENU], expected: 'menu' },
    // Patterns: case-insensitive regular expressions on the raw text.
    { text: 'ORDER #123 is late', expected: 'order' },
    { text: 'order 77', expected: 'order' },
    { text: 'my order is late', isNew: false, flows: [ORDER, MENU], expected: 'menu' },
    // The first flow in registry order wins when two match.
    { text: 'complaint about order #5', expected: 'complaint' },
    { text: 'complaint about order #5', flows: [ORDER, COMPLAINT], expected: 'order' },
    // Intent: the keyword classifier's complaint words start the complaint flow.
    { text: 'my package arrived broken', isNew: false, expected: 'complaint' },
    { text: 'my package arrived broken', isNew: true, expected: 'complaint' },
    // First message of a new conversation, else the default.
    { text: 'hello', isNew: true, expected: 'welcome' },
    { text: 'hello', isNew: false, expected: 'menu' },
    { text: undefined, isNew: true, expected: 'welcome' },
    { text: undefined, isNew: false, expected: 'menu' },
    { text: '', isNew: false, expected: 'menu' },
    // Without a default flow, a message nothing takes starts nothing.
    { text: 'hello', isNew: false, flows: [COMPLAINT, WELCOME], expected: undefined },
    // Event and inactivity triggers never start a flow from a message.
    { text: 'hello', isNew: false, flows: [SURVEY, WINBACK], expected: undefined },
  ];
  for (const row of table) {
    it(`${JSON.stringify(row.text)}${row.isNew ? ' (new conversation)' : ''}${row.flows ? ` among ${row.flows.map((f) => f.id).join(', ')}` : ''} → ${row.expected ?? 'none'}`, async () => {
      const { classify } = classifier();
      const picked = await pickFlow(row.flows ?? ALL, { text: row.text, isNewConversation: row.isNew ?? false }, classify);
      expect(picked?.id).toBe(row.expected);
    });
  }

  it('classifies only when a flow has an intent trigger and no keyword or pattern matched', async () => {
    const first = classifier();
    await pickFlow(ALL, { text: 'complaint', isNewConversation: false }, first.classify);
    expect(first.asked).toEqual([]);
    const second = classifier();
    await pickFlow([REFUND, WELCOME, MENU], { text: 'my package arrived broken', isNewConversation: false }, second.classify);
    expect(second.asked).toEqual([]);
    const third = classifier();
    await pickFlow(ALL, { text: 'my package arrived broken', isNewConversation: false }, third.classify);
    expect(third.asked).toEqual(['my package arrived broken']);
    const empty = classifier();
    await pickFlow(ALL, { text: undefined, isNewConversation: false }, empty.classify);
    expect(empty.asked).toEqual([]);
  });
});

describe('flowsFor', () => {
  it('lists each flow once per trigger of the kind asked for', () => {
    const found = flowsFor(ALL, (t) => 'event' in t);
    expect(found.map(({ flow, trigger }) => [flow.id, trigger])).toEqual([
      ['survey', { event: 'conversation.resolved', delay: '1h' }],
      ['survey', { event: 'ticket.closed' }],
    ]);
    expect(flowsFor(ALL, (t) => 'inactive' in t).map(({ flow }) => flow.id)).toEqual(['winback']);
  });
});

describe('eventStartJobs', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  const conversation = { id: 'v1', channel: 'whatsapp', identity: { address: '+989121234567' } };

  it('starts each flow triggered by the event after its delay, on the customer lane', () => {
    expect(eventStartJobs(ALL, 'conversation.resolved', conversation, undefined, now)).toEqual([
      {
        kind: START_JOB,
        laneKey: 'in:whatsapp:+989121234567',
        payload: { flowId: 'survey', conversationId: 'v1', by: 'event:conversation.resolved', ticketId: undefined },
        runAt: new Date('2026-03-01T11:00:00Z'),
      },
    ]);
  });

  it('carries the closed ticket and starts at once without a delay', () => {
    expect(eventStartJobs(ALL, 'ticket.closed', conversation, 't1', now)).toEqual([
      {
        kind: START_JOB,
        laneKey: 'in:whatsapp:+989121234567',
        payload: { flowId: 'survey', conversationId: 'v1', by: 'event:ticket.closed', ticketId: 't1' },
        runAt: now,
      },
    ]);
  });

  it('makes no job when no flow has the event', () => {
    expect(eventStartJobs([COMPLAINT, MENU], 'ticket.closed', conversation, 't1', now)).toEqual([]);
  });
});

describe('queuedSurveyStartJobs', () => {
  it('starts every survey that waited, at once, on the customer lane, naming the queued survey', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const conversation = { id: 'v1', channel: 'email', identity: { address: 'sam@example.com' } };
    expect(queuedSurveyStartJobs([{ id: 'q1', flowId: 'csat' }], conversation, now)).toEqual([
      {
        kind: START_JOB,
        laneKey: 'in:email:sam@example.com',
        payload: { flowId: 'csat', conversationId: 'v1', by: 'event:queued_survey', dispatchId: 'q1' },
        runAt: now,
      },
    ]);
    expect(queuedSurveyStartJobs([], conversation, now)).toEqual([]);
  });
});
