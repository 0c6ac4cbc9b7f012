import { UserError } from '../core/errors.ts';
import { type Database, openDatabase } from '../db/database.ts';

/** The driver adapter's own classification of a failed query (@prisma/driver-adapter-utils `Error`). */
type DriverCause = { kind?: string; db?: string; user?: string; host?: string; port?: number; reason?: string; originalMessage?: string };

function driverCauseOf(error: unknown): DriverCause | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: DriverCause } } } | undefined)?.meta;
  return meta?.driverAdapterError?.cause;
}

/** What a user can do about a database that does not answer, or undefined when it is not that kind of failure. */
export function databaseProblem(error: unknown, displayUrl: string): string | undefined {
  const cause = driverCauseOf(error);
  switch (cause?.kind) {
    case 'DatabaseNotReachable':
      return `no database server answers at ${cause.host ?? '?'}:${cause.port ?? '?'} (DATABASE_URL ${displayUrl}): start PostgreSQL there or fix DATABASE_URL`;
    case 'DatabaseDoesNotExist':
      return `the database "${cause.db ?? '?'}" does not exist (DATABASE_URL ${displayUrl}): create it (createdb ${cause.db ?? '<name>'}, or CREATE DATABASE) or fix DATABASE_URL`;
    case 'DatabaseAccessDenied':
    case 'AuthenticationFailed':
      return `the database refused the login (DATABASE_URL ${displayUrl}): ${cause.originalMessage ?? 'check the user name and password'}`;
    case 'TlsConnectionError':
      return `the TLS connection to the database failed (DATABASE_URL ${displayUrl}): ${cause.reason ?? ''}`;
    case 'SocketTimeout':
    case 'TooManyConnections':
      return `the database at ${displayUrl} is not accepting work now (${cause.kind}); try again, or check the server`;
    default:
      return undefined;
  }
}

/**
 * Opens the database and asks it one question, so a missing database or an unreachable server
 * is reported as such before a migration or a command fails somewhere deeper.
 */
export async function openReachableDatabase(url: string): Promise<Database> {
  let db: Database;
  try {
    db = await openDatabase(url);
  } catch (error) {
    throw new UserError(`DATABASE_URL: ${(error as Error).message}`);
  }
  try {
    await db.prisma.$queryRawUnsafe('SELECT 1');
    return db;
  } catch (error) {
    await db.close().catch(() => {});
    const problem = databaseProblem(error, db.displayUrl);
    if (problem) throw new UserError(problem);
    throw error;
  }
}
