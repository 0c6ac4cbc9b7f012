import { createHash, randomBytes } from 'node:crypto';
import { secretMatches } from '../core/secrets.ts';
import { newId } from '../core/ids.ts';
import type { Database } from '../db/database.ts';
import type { StudioRole } from './roles.ts';

/** A session ends 12 hours after it was last used, and 7 days after login whatever happens. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** lastSeenAt is written at most this often: a page loading ten requests writes once. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface StudioPrincipal {
  readonly id: string;
  readonly email: string;
  readonly role: StudioRole;
}

export interface OpenSession {
  readonly sessionId: string;
  readonly user: StudioPrincipal;
  readonly csrfToken: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const token = () => randomBytes(32).toString('base64url');

/** Starts a session; the cookie token is returned once and only its hash is stored. */
export async function startSession(db: Database, user: StudioPrincipal, now: Date): Promise<OpenSession & { token: string }> {
  const cookieToken = token();
  const csrfToken = token();
  const sessionId = newId();
  await db.write((tx) =>
    tx.studioSession.create({
      data: {
        id: sessionId,
        tokenHash: sha256(cookieToken),
        userId: user.id,
        csrfToken,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
      },
      select: { id: true },
    }),
  );
  return { sessionId, user, csrfToken, token: cookieToken };
}

/** The session of a cookie token, if it is still open (and its user not disabled); extends it. */
export async function findSession(db: Database, cookieToken: string, now: Date): Promise<OpenSession | undefined> {
  const row = await db.prisma.studioSession.findUnique({
    where: { tokenHash: sha256(cookieToken) },
    select: {
      id: true,
      csrfToken: true,
      createdAt: true,
      lastSeenAt: true,
      expiresAt: true,
      user: { select: { id: true, email: true, role: true, disabledAt: true } },
    },
  });
  if (!row || row.expiresAt <= now || row.user.disabledAt) return undefined;
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, row.createdAt.getTime() + SESSION_MAX_MS));
    await db.write((tx) => tx.studioSession.updateMany({ where: { id: row.id }, data: { lastSeenAt: now, expiresAt } }));
  }
  return { sessionId: row.id, csrfToken: row.csrfToken, user: { id: row.user.id, email: row.user.email, role: row.user.role } };
}

export async function endSession(db: Database, sessionId: string): Promise<void> {
  await db.write((tx) => tx.studioSession.deleteMany({ where: { id: sessionId } }));
}

/** Sessions past their end are removed at each login (there are few: one per login). */
export async function removeExpiredSessions(db: Database, now: Date): Promise<void> {
  await db.write((tx) => tx.studioSession.deleteMany({ where: { expiresAt: { lte: now } } }));
}

export function csrfTokenMatches(session: OpenSession, given: string | undefined): boolean {
  return secretMatches(given, session.csrfToken);
}
