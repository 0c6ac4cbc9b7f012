import type { webApi } from '@slack/bolt';
import { UserError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Database } from '../../db/database.ts';
import type { Agent } from '../../generated/sqlite/client.ts';
import { toSendError } from './poster.ts';

interface Cached<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * Who is who: a Slack user is an agent record (matched by the email users.info gives, else
 * created), and a team's channel members are the only ones who act on its conversations.
 * Both are cached for `cacheMs`.
 */
export class SlackDirectory {
  readonly #agents = new Map<string, Cached<Agent>>();
  readonly #members = new Map<string, Cached<Set<string>>>();

  constructor(
    private readonly db: Database,
    private readonly client: webApi.WebClient,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async agentFor(userId: string): Promise<Agent> {
    const cached = this.#agents.get(userId);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.value;
    let agent = await this.db.prisma.agent.findUnique({ where: { slackUserId: userId } });
    if (!agent) {
      let user: webApi.UsersInfoResponse['user'];
      try {
        user = (await this.client.users.info({ user: userId })).user;
      } catch (error) {
        throw toSendError('users.info', error);
      }
      const email = user?.profile?.email?.toLowerCase();
      const name = user?.profile?.display_name || user?.real_name || user?.name || userId;
      agent = await this.db.run(async (client) => {
        const byEmail = email ? await client.agent.findUnique({ where: { email } }) : null;
        if (byEmail) return client.agent.update({ where: { id: byEmail.id }, data: { slackUserId: userId } });
        return client.agent.create({ data: { id: newId(), name, email: email ?? null, slackUserId: userId } });
      });
    }
    this.#agents.set(userId, { value: agent, at: this.now() });
    return agent;
  }

  /** Forgets a cached agent (its availability changed). */
  forget(userId: string): void {
    this.#agents.delete(userId);
  }

  async isMember(channel: string, userId: string): Promise<boolean> {
    const cached = this.#members.get(channel);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.value.has(userId);
    const members = new Set<string>();
    let cursor: string | undefined;
    do {
      let page: webApi.ConversationsMembersResponse;
      try {
        page = await this.client.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) });
      } catch (error) {
        throw toSendError('conversations.members', error);
      }
      for (const m of page.members ?? []) members.add(m);
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    this.#members.set(channel, { value: members, at: this.now() });
    return members.has(userId);
  }

  /** Throws a UserError an agent can read when they are not in the team's channel. */
  async requireMember(channel: string, userId: string): Promise<void> {
    if (!(await this.isMember(channel, userId))) {
      throw new UserError(`only members of <#${channel}> act on its conversations: join the channel first`, 403);
    }
  }
}
