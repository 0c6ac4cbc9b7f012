import type BetterSqlite3 from 'better-sqlite3';
import type { SqlDriverAdapter, Transaction } from '@prisma/driver-adapter-utils';
import { Mutex } from '../core/mutex.ts';
import { preparedStatement } from './sql.ts';

/**
 * The writer of a SQLite database: every write of the process queues here, and a transaction
 * (`transaction`) runs as BEGIN IMMEDIATE ... COMMIT on the shared better-sqlite3 connection
 * instead of a Prisma interactive transaction (whose machinery cost about 0.2-0.4 ms of CPU per
 * transaction, more than the statements of a small one). Prisma calls made inside still work:
 * every client shares the one connection, so they run in the open transaction.
 *
 * A Prisma operation that needs a transaction of its own (an update returning relations, a
 * nested create) asks the adapter for one: while a writer's transaction is open it gets a
 * savepoint of it (as a single statement, it would run inside it anyway: the writes of a process
 * go through the writer); otherwise a real one, which a writer's transaction waits for. No
 * AsyncLocalStorage tells the two apart: on Node 20 one turns on promise hooks for the whole
 * process, measured at 2-3% of the CPU under load.
 */
export class SqliteWriter {
  readonly #queue = new Mutex();
  /** A writer's transaction is open on the connection. */
  #open = false;
  /** Transactions Prisma started itself, open now (a writer's transaction waits for them). */
  readonly #prismaTransactions = new Set<Promise<void>>();
  #savepoints = 0;

  constructor(private readonly handle: () => BetterSqlite3.Database | undefined) {}

  /** Runs `fn` alone among the writers (`ahead`: before the ones still waiting). */
  run<T>(fn: () => Promise<T>, options?: { ahead?: boolean }): Promise<T> {
    return this.#queue.run(async () => {
      // A transaction Prisma started outside the writers ends first (with the sync setting it began with).
      while (this.#prismaTransactions.size > 0) await Promise.all(this.#prismaTransactions);
      return fn();
    }, options);
  }

  /** Runs `fn` in one transaction. Call it in a writer's turn (run); the turn decides how the commit syncs. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const connection = this.handle();
    if (!connection) throw new Error('the SQLite connection is not open yet');
    // Prepared once, not parsed again per transaction as exec() would.
    preparedStatement(connection, 'BEGIN IMMEDIATE').run();
    this.#open = true;
    try {
      const result = await fn();
      preparedStatement(connection, 'COMMIT').run();
      return result;
    } catch (error) {
      if (connection.inTransaction) preparedStatement(connection, 'ROLLBACK').run();
      throw error;
    } finally {
      this.#open = false;
    }
  }

  /** Makes the adapter's transactions follow the writer (see the class comment). */
  wrapAdapter(adapter: SqlDriverAdapter, connection: BetterSqlite3.Database): void {
    const start = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      if (this.#open && connection.inTransaction) return this.#savepoint(adapter, connection);
      let ended = () => {};
      const open = new Promise<void>((resolve) => (ended = resolve));
      this.#prismaTransactions.add(open);
      const end = () => {
        this.#prismaTransactions.delete(open);
        ended();
      };
      try {
        const transaction = await start(isolationLevel);
        const { commit, rollback } = transaction;
        transaction.commit = () => commit.call(transaction).finally(end);
        transaction.rollback = () => rollback.call(transaction).finally(end);
        return transaction;
      } catch (error) {
        end();
        throw error;
      }
    };
  }

  #savepoint(adapter: SqlDriverAdapter, connection: BetterSqlite3.Database): Transaction {
    const name = `prisma_${++this.#savepoints}`;
    connection.exec(`SAVEPOINT ${name}`);
    return {
      provider: adapter.provider,
      adapterName: adapter.adapterName,
      // Prisma sends no COMMIT or ROLLBACK of its own: commit() and rollback() end the savepoint.
      options: { usePhantomQuery: true },
      queryRaw: (query) => adapter.queryRaw(query),
      executeRaw: (query) => adapter.executeRaw(query),
      commit: async () => {
        connection.exec(`RELEASE ${name}`);
      },
      rollback: async () => {
        connection.exec(`ROLLBACK TO ${name}`);
        connection.exec(`RELEASE ${name}`);
      },
    } as Transaction;
  }
}
