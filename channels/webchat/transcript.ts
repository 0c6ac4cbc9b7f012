import { z } from 'zod';
import type { ChannelStateStore } from '../../src/core/channel.ts';
import { Mutex } from '../../src/core/mutex.ts';
import { type Entry, EntrySchema } from './protocol.ts';

const StoredTranscriptSchema = z.object({ last: z.number().int().nonnegative(), entries: z.array(EntrySchema) });
type StoredTranscript = z.infer<typeof StoredTranscriptSchema>;

/**
 * The last messages of each webchat address, kept in the channel's durable state so a reload,
 * another tab or a reconnect fetches what it missed. Writes of one address are serialised in
 * this process; positions (`seq`) only grow.
 */
export class Transcripts {
  readonly #locks = new Map<string, { mutex: Mutex; users: number }>();

  constructor(
    private readonly state: ChannelStateStore,
    private readonly keep: number,
  ) {}

  async read(address: string): Promise<StoredTranscript> {
    const raw = await this.state.get(`transcript:${address}`);
    if (raw === undefined || raw === null) return { last: 0, entries: [] };
    const parsed = StoredTranscriptSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`webchat transcript of ${address} in the database is not valid: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  async after(address: string, seq: number): Promise<Entry[]> {
    return (await this.read(address)).entries.filter((e) => e.seq > seq);
  }

  /**
   * Appends an entry unless one with the same clientId (visitor) or messageId (reply) is
   * there already; returns the stored entry and whether it is new.
   */
  append(address: string, entry: Omit<Entry, 'seq'>): Promise<{ entry: Entry; added: boolean }> {
    return this.#locked(address, async () => {
      const transcript = await this.read(address);
      const same = transcript.entries.find(
        (e) => (entry.clientId !== undefined && e.clientId === entry.clientId) || (entry.messageId !== undefined && e.messageId === entry.messageId),
      );
      if (same) return { entry: same, added: false };
      const stored: Entry = { ...entry, seq: transcript.last + 1 };
      const entries = [...transcript.entries, stored].slice(-this.keep);
      await this.state.set(`transcript:${address}`, { last: stored.seq, entries });
      return { entry: stored, added: true };
    });
  }

  async #locked<T>(address: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.#locks.get(address);
    if (!lock) this.#locks.set(address, (lock = { mutex: new Mutex(), users: 0 }));
    lock.users += 1;
    try {
      return await lock.mutex.run(fn);
    } finally {
      lock.users -= 1;
      if (lock.users === 0) this.#locks.delete(address);
    }
  }
}
