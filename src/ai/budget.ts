import type { Database } from '../db/database.ts';

/** The UTC day a budget counts in, "YYYY-MM-DD". */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The daily token budget of AI assist, kept in the database (AiUsage) so every process
 * shares it. Calls already in flight when it runs out still count, so a day may end a
 * little over budget; no call starts after that.
 */
export class TokenBudget {
  constructor(
    private readonly db: Database,
    private readonly dailyTokens: number | undefined,
  ) {}

  async usedOn(at: Date): Promise<number> {
    const row = await this.db.prisma.aiUsage.findUnique({ where: { day: utcDay(at) } });
    return row?.tokens ?? 0;
  }

  /** True when a call may start now. */
  async allows(at: Date): Promise<boolean> {
    if (this.dailyTokens === undefined) return true;
    return (await this.usedOn(at)) < this.dailyTokens;
  }

  async record(tokens: number, at: Date): Promise<void> {
    const day = utcDay(at);
    const update = { tokens: { increment: tokens }, calls: { increment: 1 } };
    await this.db.run(async (client) => {
      const { count } = await client.aiUsage.updateMany({ where: { day }, data: update });
      if (count > 0) return;
      // First call of the day: another process may create the row at the same moment.
      await client.aiUsage.create({ data: { day, tokens, calls: 1 } }).catch(() => client.aiUsage.update({ where: { day }, data: update }));
    });
  }
}
