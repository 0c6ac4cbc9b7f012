import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { hashPassword, passwordMatches } from './passwords.ts';
import type { StudioRole } from './roles.ts';
import {
  csrfTokenMatches,
  endSession,
  findSession,
  type OpenSession,
  removeExpiredSessions,
  SESSION_MAX_MS,
  startSession,
  type StudioPrincipal,
} from './sessions.ts';
import { studioScope } from './http.ts';
import { StudioEmail } from './users.ts';

export type { StudioRole } from './roles.ts';
export type { StudioPrincipal } from './sessions.ts';

export const SESSION_COOKIE = 'parley_studio';
export const CSRF_HEADER = 'x-csrf-token';

export interface LoginLimits {
  /** Login attempts one client address may make per window. */
  readonly perIp: number;
  /** Login attempts for one email address per window, from anywhere. */
  readonly perEmail: number;
  readonly windowMs: number;
}

/** OWASP's advice against password guessing: few tries per account and per client, then wait. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perIp: 30, perEmail: 10, windowMs: 15 * 60 * 1000 };

export interface StudioAuthDeps {
  readonly db: Database;
  readonly now?: () => Date;
  readonly loginLimits?: LoginLimits;
}

declare module 'fastify' {
  interface FastifyInstance {
    studioAuth: Required<Pick<StudioAuthDeps, 'db' | 'now'>>;
  }
  interface FastifyRequest {
    /** The studio user of the request, set by requireRole. */
    studioUser?: StudioPrincipal;
    studioSession?: OpenSession;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LoginBody = z.object({ email: StudioEmail, password: z.string().min(1, 'give the password') });

/** A hash to check a password against when the email is unknown: both answers take as long. */
let decoyHash: Promise<string> | undefined;

/**
 * The studio's login, logout and "who am I" routes, the session cookie, and what requireRole
 * needs to check a request. Register it on the root server, before any studio route.
 */
export async function registerStudioAuth(app: FastifyInstance, deps: StudioAuthDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const limits = deps.loginLimits ?? DEFAULT_LOGIN_LIMITS;
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  app.decorate('studioAuth', { db: deps.db, now });
  app.decorateRequest('studioUser', undefined);
  app.decorateRequest('studioSession', undefined);

  // Two counters per attempt (client address, email); @fastify/rate-limit's route handler runs one per request.
  const perIp = app.createRateLimit({ max: limits.perIp, timeWindow: limits.windowMs, keyGenerator: (request) => `studio-login-ip:${request.ip}` });
  const perEmail = app.createRateLimit({
    max: limits.perEmail,
    timeWindow: limits.windowMs,
    keyGenerator: (request) => `studio-login-email:${emailOfBody(request.body)}`,
  });
  const loginLimit = async (request: FastifyRequest, reply: FastifyReply) => {
    const counts = [await perIp(request), await perEmail(request)];
    const waits = counts.flatMap((c) => (!c.isAllowed && c.isExceeded ? [c.ttlInSeconds] : []));
    if (waits.length === 0) return;
    const wait = Math.max(...waits);
    reply.header('retry-after', String(wait));
    throw new UserError(`too many login attempts: try again in ${wait} s`, 429);
  };

  await app.register(
    async (plain) => {
      const scoped = studioScope(plain);
      scoped.post('/login', { schema: { body: LoginBody }, preHandler: loginLimit }, async (request, reply) => {
        const { email, password } = request.body;
        const user = await deps.db.prisma.studioUser.findUnique({
          where: { email },
          select: { id: true, email: true, role: true, passwordHash: true, disabledAt: true },
        });
        decoyHash ??= hashPassword('not anyone’s password');
        const matches = await passwordMatches(user?.passwordHash ?? (await decoyHash), password);
        if (!user || !matches || user.disabledAt) throw new UserError('the email or the password is wrong', 401);
        const at = now();
        await removeExpiredSessions(deps.db, at);
        const session = await startSession(deps.db, { id: user.id, email: user.email, role: user.role }, at);
        reply.setCookie(SESSION_COOKIE, session.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          maxAge: SESSION_MAX_MS / 1000,
        });
        return { user: publicUser(session.user), csrfToken: session.csrfToken };
      });

      scoped.post('/logout', { preHandler: requireRole() }, async (request, reply) => {
        if (request.studioSession) await endSession(deps.db, request.studioSession.sessionId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { loggedOut: true };
      });

      scoped.get('/me', { preHandler: requireRole() }, async (request) => {
        const session = request.studioSession as OpenSession;
        return { user: publicUser(session.user), csrfToken: session.csrfToken };
      });
    },
    { prefix: '/studio/api' },
  );
}

const publicUser = (user: StudioPrincipal) => ({ email: user.email, role: user.role });

function emailOfBody(body: unknown): string {
  const email = (body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

/** The open studio session of a request's cookie, or undefined (no cookie, ended, expired, user disabled). */
export async function studioSessionOf(request: FastifyRequest): Promise<OpenSession | undefined> {
  const token = request.cookies?.[SESSION_COOKIE];
  if (!token || !request.server.hasDecorator('studioAuth')) return undefined;
  const { db, now } = request.server.studioAuth;
  return findSession(db, token, now());
}

/** A mutating request of a session must carry the session's CSRF token in x-csrf-token. */
export function checkCsrf(request: FastifyRequest, session: OpenSession): void {
  if (!MUTATING.has(request.method)) return;
  const header = request.headers[CSRF_HEADER];
  if (!csrfTokenMatches(session, typeof header === 'string' ? header : undefined))
    throw new UserError(`missing or wrong ${CSRF_HEADER} header: send the csrfToken that login or GET /studio/api/me gave`, 403);
}

/**
 * A preHandler for studio routes: 401 without an open session, 403 when the user's role is
 * not among `roles` (none given: any role) or a mutating request lacks its CSRF token.
 * Sets request.studioUser.
 */
export function requireRole(...roles: StudioRole[]): preHandlerAsyncHookHandler {
  return async function studioRoleCheck(request: FastifyRequest, _reply: FastifyReply) {
    const session = await studioSessionOf(request);
    if (!session) throw new UserError('log in to the studio first (no session, or it has expired)', 401);
    if (roles.length > 0 && !roles.includes(session.user.role))
      throw new UserError(`a ${session.user.role} may not do this (it needs: ${roles.join(' or ')})`, 403);
    checkCsrf(request, session);
    request.studioSession = session;
    request.studioUser = session.user;
  };
}
