import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptResult, ChannelContext, ChannelInbound, ChannelStatusUpdate, ConversationThread } from '../../src/core/channel.ts';
import { SendError } from '../../src/core/channel.ts';
import type { OutboundContent } from '../../src/core/message.ts';
import { Inbox } from '../../src/pipeline/inbox.ts';
import { freshDatabase, type TestDatabase } from './databases.ts';
import { eventually } from './eventually.ts';
import { silentLogger } from './parley.ts';

/**
 * The contract every channel runs (test/channels.contract.test.ts): the same checks, each
 * channel filling in how a provider delivers, renders and refuses.
 */

export interface Fixture {
  readonly name: string;
  readonly bytes: Buffer;
}

/** The provider-facing answer to a webhook delivery. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: string;
}

export interface ContractHarness {
  /**
   * Delivers a fixture as the provider does: a webhook channel answers (status, body); a client
   * or polled channel resolves once the adapter has taken it in (or given up on it).
   */
  deliver(fixture: Fixture): Promise<WebhookAnswer | undefined>;
  stop(): Promise<void>;
}

export interface OutboundCase {
  readonly name: string;
  readonly content: OutboundContent;
}

export interface SendErrorCase {
  readonly name: string;
  readonly retryable: boolean;
  /** Makes the provider refuse (or drop) the next send, and returns what the adapter threw. */
  readonly provoke: () => Promise<unknown>;
}

export interface ChannelContract {
  readonly channel: string;
  /** channels/<name>/fixtures/inbound: every file there is delivered. */
  readonly fixturesDir: string;
  /** Webhook channels acknowledge the provider: stored-before-2xx, retries and store failures apply. */
  readonly webhook: boolean;
  start(context: ContractContext): Promise<ContractHarness>;
  /** Whether the fixture carries a customer message (else only delivery statuses). */
  carriesMessage(fixture: Fixture): boolean;
  /** Payload types the channel documents as ignored (answered 2xx, nothing stored), e.g. WhatsApp's identity-change notice. */
  ignores?(fixture: Fixture): boolean;
  readonly outbound: {
    readonly cases: readonly OutboundCase[];
    /** The provider requests the adapter makes for `content` (what reaches the provider's API). */
    render(content: OutboundContent): Promise<readonly unknown[]>;
    /** Every way one request breaks the provider's documented limits (empty: valid). */
    problems(request: unknown): string[];
  };
  readonly sendErrors: readonly SendErrorCase[];
}

/**
 * The core side of an adapter in the contract: inbound goes through the real Inbox (SQLite), so
 * "stored" means committed; `hold` delays storing and `failStore` makes the store fail.
 */
export class ContractContext implements ChannelContext {
  readonly received: ChannelInbound[] = [];
  readonly statuses: ChannelStatusUpdate[] = [];
  readonly logger = silentLogger;
  readonly defaultRegion = 'IR';
  waiting = 0;
  hold: Promise<void> | undefined;
  failStore = false;
  readonly state = { get: async () => undefined, set: async () => {} };
  readonly #inbox: Inbox;

  constructor(
    readonly channel: string,
    readonly db: TestDatabase,
    readonly dataDir: string,
  ) {
    this.#inbox = new Inbox(db, silentLogger, 'IR');
  }

  async receive(message: ChannelInbound): Promise<AcceptResult> {
    this.waiting++;
    try {
      await this.hold;
      if (this.failStore) throw new Error('the database is unavailable');
      const result = await this.#inbox.accept({ ...message, channel: this.channel });
      this.received.push(message);
      return result;
    } finally {
      this.waiting--;
    }
  }

  async reportStatus(update: ChannelStatusUpdate): Promise<void> {
    if (this.failStore) throw new Error('the database is unavailable');
    this.statuses.push(update);
  }

  async recordConsent(): Promise<void> {}

  readonly retries: { key: string; payload: unknown; delayMs: number }[] = [];
  async retryLater(task: { key: string; payload: unknown; delayMs: number }): Promise<void> {
    this.retries.push(task);
  }

  /** No other channel runs beside the one under contract: nothing is sent through one. */
  async sendThrough(): Promise<undefined> {
    return undefined;
  }

  /** Attachments are kept on the stored message; the contract does not change them. */
  async updateAttachments(): Promise<boolean> {
    return false;
  }

  /** The customer wrote a minute ago: WhatsApp's 24-hour window is open. */
  async lastInboundAt(): Promise<Date> {
    return new Date(Date.now() - 60_000);
  }

  /** No templates file: the adapter falls back to its own setting. */
  async windowTemplate(): Promise<undefined> {
    return undefined;
  }

  async conversationThread(): Promise<ConversationThread> {
    return { ref: 'K7Q3M9XA', subject: 'Your order', team: null, externalIds: [] };
  }

  stored(): Promise<number> {
    return this.db.prisma.inboxEvent.count({ where: { channel: this.channel } });
  }
}

export function readFixtures(dir: string): Fixture[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

const ok = (answer: WebhookAnswer | undefined) => expect(answer?.status ?? 200, answer?.body).toBeLessThan(300);

export function channelContract(contract: ChannelContract): void {
  describe(`${contract.channel}: channel contract`, () => {
    let db: TestDatabase;
    let dataDir: string;
    let context: ContractContext;
    let harness: ContractHarness;
    const fixtures = readFixtures(contract.fixturesDir);
    const withMessage = fixtures.filter((f) => contract.carriesMessage(f) && !contract.ignores?.(f));

    beforeAll(async () => {
      db = await freshDatabase('sqlite');
      dataDir = mkdtempSync(join(tmpdir(), `parley-contract-${contract.channel}-`));
      context = new ContractContext(contract.channel, db, dataDir);
      harness = await contract.start(context);
    });

    afterAll(async () => {
      await harness?.stop();
      await db?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('has recorded inbound payloads, at least one with a customer message', () => {
      expect(fixtures.length).toBeGreaterThan(0);
      expect(withMessage.length).toBeGreaterThan(0);
    });

    if (contract.webhook) {
      it('answers the provider 2xx only after the message is stored', async () => {
        const fixture = withMessage[0] as Fixture;
        let release!: () => void;
        context.hold = new Promise((resolve) => (release = resolve));
        let answered = false;
        const delivery = harness.deliver(fixture).then((answer) => {
          answered = true;
          return answer;
        });
        await eventually(() => expect(context.waiting).toBeGreaterThan(0));
        // The adapter is waiting for the store: the provider has no answer yet.
        await new Promise((resolve) => setImmediate(resolve));
        expect(answered).toBe(false);
        const before = await context.stored();
        release();
        context.hold = undefined;
        const answer = await delivery;
        ok(answer);
        expect(await context.stored()).toBeGreaterThan(before);
      });

      it('stores a retried webhook once', async () => {
        const fixture = withMessage[0] as Fixture;
        ok(await harness.deliver(fixture));
        const once = await context.stored();
        ok(await harness.deliver(fixture));
        ok(await harness.deliver(fixture));
        expect(await context.stored()).toBe(once);
      });

      it('answers 5xx when the message cannot be stored, so the provider retries', async () => {
        const fixture = withMessage.at(-1) as Fixture;
        context.failStore = true;
        try {
          const answer = await harness.deliver(fixture);
          expect(answer?.status).toBeGreaterThanOrEqual(500);
        } finally {
          context.failStore = false;
        }
      });
    }

    it.each(fixtures.map((f) => [f.name, f] as const))('decodes %s', async (_name, fixture) => {
      const received = context.received.length;
      const statuses = context.statuses.length;
      const answer = await harness.deliver(fixture);
      ok(answer);
      expect(answer?.body ?? '').not.toContain('refused');
      if (contract.ignores?.(fixture)) return;
      if (contract.carriesMessage(fixture)) await eventually(() => expect(context.received.length).toBeGreaterThan(received));
      else await eventually(() => expect(context.statuses.length).toBeGreaterThan(statuses));
    });

    it.each(contract.outbound.cases.map((c) => [c.name, c] as const))('renders %s within the provider limits', async (_name, outboundCase) => {
      const requests = await contract.outbound.render(outboundCase.content);
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.flatMap((r) => contract.outbound.problems(r))).toEqual([]);
    });

    it.each(contract.sendErrors.map((c) => [c.name, c] as const))('classifies a send error: %s', async (_name, errorCase) => {
      const error = await errorCase.provoke();
      expect(error).toBeInstanceOf(SendError);
      expect((error as SendError).retryable).toBe(errorCase.retryable);
    });
  });
}

/** Length in characters as providers count them (code points, not UTF-16 units). */
export const chars = (text: string): number => [...text].length;
