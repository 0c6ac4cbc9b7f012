import { z } from 'zod';
import { recordAudit } from '../crm/audit.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import type { EventBus } from '../pipeline/events.ts';
import type { JobContext } from '../pipeline/jobs.ts';

/** The conversation tag that marks a hand-off no agent desk or available agent can take. */
export const UNATTENDED_TAG = 'unattended';

const TagsSchema = z.array(z.string()).nullable();
const BUSY = ['assigned', 'waiting_for_customer'] as const;
/** Where a conversation is with people: what a person still has to take or answer. */
const WITH_PEOPLE = ['waiting_for_agent', ...BUSY] as const;

const tagsOf = (tags: unknown): string[] => TagsSchema.parse(tags) ?? [];

/**
 * Keeps the `unattended` tag true: set when a conversation waits for an agent while no agent
 * desk runs or no agent of its team is available with room, and kept when routing assigns it
 * automatically while no desk runs (the agent has nowhere to see it); removed once a person
 * assigns or answers it, a desk runs when it is assigned, or it is resolved or handed back to
 * the bot. The customer hears when to expect an answer from QueueHolding; this tag is what
 * makes the waiting conversation findable.
 */
export class UnattendedFlag {
  constructor(
    private readonly db: Database,
    private readonly deskRunning: () => boolean,
  ) {}

  register(events: EventBus): void {
    const check = (conversationId: string, ctx: JobContext) => ctx.write((tx) => this.#check(tx, conversationId, ctx.now));
    const clear = (conversationId: string, ctx: JobContext) => ctx.write((tx) => this.#set(tx, conversationId, false, ctx.now));
    events.subscribe('conversation.handed_off', 'unattended', (event, ctx) => check(event.conversationId, ctx));
    events.subscribe('conversation.assigned', 'unattended', (event, ctx) => check(event.conversationId, ctx));
    events.subscribe('conversation.resolved', 'unattended', (event, ctx) => clear(event.conversationId, ctx));
    events.subscribe('conversation.handed_back', 'unattended', (event, ctx) => clear(event.conversationId, ctx));
  }

  /** Open conversations with a person's team that carry the tag. */
  async count(): Promise<number> {
    const open = await this.db.prisma.conversation.findMany({ where: { status: { in: [...WITH_PEOPLE] } }, select: { tags: true } });
    return open.filter((c) => tagsOf(c.tags).includes(UNATTENDED_TAG)).length;
  }

  /** The oldest `limit` conversations waiting unattended (for a desk that starts to post). */
  async waiting(limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    while (ids.length < limit) {
      const page = await this.db.prisma.conversation.findMany({
        where: { status: { in: [...WITH_PEOPLE] }, ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: 'asc' },
        take: 200,
        select: { id: true, tags: true },
      });
      if (page.length === 0) break;
      for (const c of page) if (tagsOf(c.tags).includes(UNATTENDED_TAG) && ids.length < limit) ids.push(c.id);
      after = page.at(-1)?.id;
    }
    return ids;
  }

  async #check(tx: PrismaClient, conversationId: string, now: Date): Promise<void> {
    const conversation = await tx.conversation.findUnique({ where: { id: conversationId }, select: { status: true, assigneeId: true, teamId: true } });
    if (!conversation) return;
    if (conversation.status === 'waiting_for_agent' && !conversation.assigneeId) {
      await this.#set(tx, conversationId, !this.deskRunning() || !(await this.#agentCanTake(tx, conversation.teamId)), now);
    } else if (conversation.assigneeId) {
      await this.#set(tx, conversationId, !this.deskRunning() && (await this.#assignedBySystem(tx, conversationId)), now);
    }
  }

  /** Whether the last assignment was routing's own (the `conversation.assign` audit entry). */
  async #assignedBySystem(tx: PrismaClient, conversationId: string): Promise<boolean> {
    const last = await tx.auditLog.findFirst({
      where: { entityType: 'conversation', entityId: conversationId, action: 'conversation.assign' },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      select: { actor: true },
    });
    return last?.actor === 'system';
  }

  /** Whether an available agent of the team has room (a conversation without a team goes to nobody). */
  async #agentCanTake(tx: PrismaClient, teamId: string | null): Promise<boolean> {
    if (!teamId) return false;
    const members = await tx.teamMember.findMany({
      where: { teamId, agent: { availability: 'available' } },
      select: { agent: { select: { id: true, capacity: true } } },
    });
    for (const { agent } of members) {
      if ((await tx.conversation.count({ where: { assigneeId: agent.id, status: { in: [...BUSY] } } })) < agent.capacity) return true;
    }
    return false;
  }

  async #set(tx: PrismaClient, conversationId: string, flagged: boolean, now: Date): Promise<void> {
    const row = await tx.conversation.findUnique({ where: { id: conversationId }, select: { tags: true } });
    if (!row) return;
    const tags = tagsOf(row.tags);
    if (tags.includes(UNATTENDED_TAG) === flagged) return;
    const after = flagged ? [...tags, UNATTENDED_TAG] : tags.filter((t) => t !== UNATTENDED_TAG);
    await tx.conversation.update({ where: { id: conversationId }, data: { tags: after } });
    await recordAudit(tx, {
      at: now,
      actor: 'routing',
      action: 'conversation.tags',
      entityType: 'conversation',
      entityId: conversationId,
      data: flagged ? { add: [UNATTENDED_TAG], remove: [] } : { add: [], remove: [UNATTENDED_TAG] },
    });
  }
}
