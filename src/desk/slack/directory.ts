import type { webApi } from '@slack/bolt';
import { newId } from '../../core/ids.ts';
import type { Database } from '../../db/database.ts';
import type { Agent } from '../../generated/sqlite/client.ts';
import { toSendError } from './poster.ts';
import type { MentionNames } from './wire-text.ts';
import { AgentFacingError } from '../../agent-text/agent-error.ts';

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
  readonly #names = new Map<string, Cached<string | undefined>>();

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

  /**
   * Names for the Slack users an agent mentioned, as a customer may see them: the agent
   * record's name, else the Slack profile's display or real name. A user Slack does not know
   * (or a failed lookup) has no name here, and the converter uses a neutral word instead.
   */
  async mentionNames(userIds: readonly string[]): Promise<MentionNames> {
    const names = new Map<string, string>();
    for (const id of userIds) {
      const cached = this.#names.get(id);
      if (cached && this.now() - cached.at < this.cacheMs) {
        if (cached.value) names.set(id, cached.value);
        continue;
      }
      const agent = await this.db.prisma.agent.findUnique({ where: { slackUserId: id }, select: { name: true } });
      let name = agent?.name;
      if (!name) {
        try {
          const user = (await this.client.users.info({ user: id })).user;
          name = user?.profile?.display_name || user?.real_name || undefined;
        } catch {
          name = undefined;
        }
      }
      this.#names.set(id, { value: name, at: this.now() });
      if (name) names.set(id, name);
    }
    return { user: (id) => names.get(id) };
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
      throw new AgentFacingError('error.members_only', { channel }, 403);
    }
  }
}
