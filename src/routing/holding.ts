import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Turn } from '../pipeline/handler.ts';
import { isOpen, nextOpening } from './business-hours.ts';
import type { Routing } from './routing.ts';
import { fill, formatOpening, OUT_OF_HOURS, pickText, WAITING_FOR_AGENT } from './texts.ts';

/** Within this long of its last word to a waiting customer, the bot does not repeat itself. */
const REPEAT_AFTER_MS = 10 * 60_000;

/**
 * What a customer hears when they write while their conversation waits for a person and none
 * has taken it: when to expect an answer (the team's next opening when it is closed). Nobody
 * is left in silence, and a desk-less install says so in the log, where it would otherwise
 * drop customers into a void. Nothing is said once an agent owns the conversation.
 */
export class QueueHolding {
  readonly #warned = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly routing: () => Routing,
    private readonly deskRunning: () => boolean,
    private readonly logger: Logger,
  ) {}

  async replyFor(turn: Turn): Promise<string | undefined> {
    const { conversation } = turn;
    if (conversation.status !== 'waiting_for_agent' || conversation.assigneeId || turn.inbound.automated) return undefined;
    if (!this.deskRunning() && !this.#warned.has(conversation.id)) {
      this.#warned.add(conversation.id);
      this.logger.warn(
        { conversationId: conversation.id },
        'a customer waits for an agent but no agent desk is configured: answer from the API (GET /api/v1/conversations?status=waiting_for_agent) or configure Slack',
      );
    }
    const since = new Date(turn.now.getTime() - REPEAT_AFTER_MS);
    const recent = await this.db.prisma.message.findFirst({
      where: { conversationId: conversation.id, direction: 'outbound', authorKind: { in: ['bot', 'system'] }, createdAt: { gte: since } },
      select: { id: true },
    });
    if (recent) return undefined;
    const team = conversation.teamId ? await this.db.prisma.team.findUnique({ where: { id: conversation.teamId }, select: { name: true } }) : null;
    const routing = this.routing();
    const hours = routing.hoursOf(team?.name);
    const opening = hours && !isOpen(hours, turn.now) ? nextOpening(hours, turn.now) : undefined;
    if (hours && opening) {
      const text = pickText(routing.config.messages.out_of_hours ?? OUT_OF_HOURS, turn.locale);
      return fill(text, { opening: formatOpening(opening, turn.locale, hours.timeZone) });
    }
    return pickText(WAITING_FOR_AGENT, turn.locale);
  }
}
