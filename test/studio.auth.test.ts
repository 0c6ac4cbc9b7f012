import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { installErrorHandler } from '../src/server/errors.ts';
import { registerStudioAuth, requireRole, SESSION_COOKIE } from '../src/studio/auth.ts';
import { STUDIO_ACCESS } from '../src/studio/roles.ts';
import { listStudioUsers, removeStudioUser, setStudioPassword } from '../src/studio/users.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { testParley } from './support/parley.ts';
import { logIn, STUDIO_PASSWORD, studioUser } from './support/studio.ts';

describe.each(dialects)('studio users, sessions and roles on %s', (dialect) => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let clock: Date;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    clock = new Date('2026-03-01T10:00:00Z');
    app = Fastify();
    installErrorHandler(app);
    await registerStudioAuth(app, { db, now: () => clock, loginLimits: { perIp: 100, perEmail: 3, windowMs: 60_000 } });
    app.get('/studio/api/users', { preHandler: requireRole(...STUDIO_ACCESS.users) }, async (request) => ({ by: request.studioUser?.email }));
    app.post('/studio/api/flows/x', { preHandler: requireRole(...STUDIO_ACCESS.flowsEdit) }, async (request) => ({ by: request.studioUser?.email }));
    await studioUser(db, 'Admin@Example.com', 'admin');
    await studioUser(db, 'mina@example.com', 'marketer');
    await studioUser(db, 'ali@example.com', 'agent');
  }, 60_000);
  afterEach(async () => {
    await app.close();
    await db.dispose();
  });

  it('stores emails lower-cased and passwords as argon2id; refuses a second account and a short password', async () => {
    const users = await listStudioUsers(db);
    expect(users.map((u) => [u.email, u.role])).toEqual([
      ['admin@example.com', 'admin'],
      ['ali@example.com', 'agent'],
      ['mina@example.com', 'marketer'],
    ]);
    const row = await db.prisma.studioUser.findUniqueOrThrow({ where: { email: 'admin@example.com' } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    await expect(studioUser(db, 'ADMIN@example.com', 'manager')).rejects.toThrow('a studio user admin@example.com exists already');
    await expect(setStudioPassword(db, 'mina@example.com', 'short')).rejects.toThrow('the password is too short: at least 8 characters');
  });

  it('logs in with an httpOnly SameSite=Strict cookie, answers /me, logs out', async () => {
    const response = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: ' ADMIN@example.com', password: STUDIO_PASSWORD } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toEqual({ email: 'admin@example.com', role: 'admin' });
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/);
    const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Only the token's hash is stored.
    const session = await db.prisma.studioSession.findFirstOrThrow();
    expect(session.tokenHash).not.toContain(cookie?.value);
    expect(session.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const headers = { cookie: `${SESSION_COOKIE}=${cookie?.value}` };
    const me = await app.inject({ method: 'GET', url: '/studio/api/me', headers });
    expect(me.json()).toEqual({ user: { email: 'admin@example.com', role: 'admin' }, csrfToken: body.csrfToken });

    expect((await app.inject({ method: 'POST', url: '/studio/api/logout', headers })).statusCode).toBe(403);
    const out = await app.inject({ method: 'POST', url: '/studio/api/logout', headers: { ...headers, 'x-csrf-token': body.csrfToken } });
    expect(out.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/studio/api/me', headers })).statusCode).toBe(401);
  });

  it('refuses a wrong password, an unknown email and a malformed body with clear errors', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'mina@example.com', password: 'not it at all' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe('the email or the password is wrong');
    const unknown = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'nobody@example.com', password: STUDIO_PASSWORD } });
    expect(unknown.json().error.message).toBe('the email or the password is wrong');
    const malformed = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'not-an-email' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toMatch(/^body: email: not an email address; password: /);
  });

  it('no session no data, roles enforced, CSRF required on changes', async () => {
    expect((await app.inject({ method: 'GET', url: '/studio/api/users' })).statusCode).toBe(401);
    const forged = await app.inject({ method: 'GET', url: '/studio/api/users', headers: { cookie: `${SESSION_COOKIE}=made-up` } });
    expect(forged.statusCode).toBe(401);

    const admin = await logIn(app, 'admin@example.com');
    const marketer = await logIn(app, 'mina@example.com');
    const agent = await logIn(app, 'ali@example.com');
    expect((await app.inject({ method: 'GET', url: '/studio/api/users', headers: admin.read })).json()).toEqual({ by: 'admin@example.com' });
    const marketerUsers = await app.inject({ method: 'GET', url: '/studio/api/users', headers: marketer.read });
    expect(marketerUsers.statusCode).toBe(403);
    expect(marketerUsers.json().error.message).toBe('a marketer may not do this (it needs: admin)');

    expect((await app.inject({ method: 'POST', url: '/studio/api/flows/x', headers: marketer.write })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/studio/api/flows/x', headers: agent.write })).statusCode).toBe(403);
    const noCsrf = await app.inject({ method: 'POST', url: '/studio/api/flows/x', headers: marketer.read });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.message).toMatch(/^missing or wrong x-csrf-token header/);
    // Another session's token is not this session's.
    const crossed = await app.inject({ method: 'POST', url: '/studio/api/flows/x', headers: { ...marketer.read, 'x-csrf-token': admin.csrfToken } });
    expect(crossed.statusCode).toBe(403);
  });

  it('sessions end when they expire, when the password changes and when the user is removed', async () => {
    const first = await logIn(app, 'mina@example.com');
    clock = new Date(clock.getTime() + 13 * 60 * 60 * 1000);
    expect((await app.inject({ method: 'GET', url: '/studio/api/me', headers: first.read })).statusCode).toBe(401);

    const second = await logIn(app, 'mina@example.com');
    await setStudioPassword(db, 'mina@example.com', 'another long password');
    expect((await app.inject({ method: 'GET', url: '/studio/api/me', headers: second.read })).statusCode).toBe(401);

    const admin = await logIn(app, 'admin@example.com');
    await removeStudioUser(db, 'admin@example.com');
    expect((await app.inject({ method: 'GET', url: '/studio/api/me', headers: admin.read })).statusCode).toBe(401);
    await expect(removeStudioUser(db, 'admin@example.com')).rejects.toThrow('studio user admin@example.com');
  });

  it('rate-limits login per email: 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const attempt = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'mina@example.com', password: `guess number ${i}` } });
      expect(attempt.statusCode).toBe(401);
    }
    const limited = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'MINA@example.com', password: STUDIO_PASSWORD } });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from the same address is not limited by mina's.
    expect((await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email: 'ali@example.com', password: STUDIO_PASSWORD } })).statusCode).toBe(
      200,
    );
  });
});

describe('login is rate-limited per client address', () => {
  it('answers 429 once one address has tried too often, whichever the emails', async () => {
    const db = await freshDatabase('sqlite');
    const app = Fastify();
    installErrorHandler(app);
    await registerStudioAuth(app, { db, loginLimits: { perIp: 2, perEmail: 100, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (const email of ['a@example.com', 'b@example.com', 'c@example.com'])
        statuses.push((await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email, password: 'whatever it is' } })).statusCode);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await app.close();
      await db.dispose();
    }
  });
});

describe.each(dialects)('the REST API accepts a studio session on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    parley = await testParley(db, { env: { PARLEY_API_TOKEN: 'the-token' } });
    app = await buildServer(parley);
    await studioUser(db, 'boss@example.com', 'manager');
    await studioUser(db, 'root@example.com', 'admin');
  }, 60_000);
  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
  });

  it('reads what the role may read; changes only an admin, with the CSRF token; the bearer token still works', async () => {
    const manager = await logIn(app, 'boss@example.com');
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports', headers: manager.read })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/flows', headers: manager.read })).statusCode).toBe(200);
    const change = await app.inject({ method: 'POST', url: '/api/v1/agents/a1/availability', headers: manager.write, payload: { availability: 'away' } });
    expect(change.statusCode).toBe(403);
    expect(change.json().error.message).toBe('a manager may not POST /api/v1/agents/a1/availability through the API');

    const admin = await logIn(app, 'root@example.com');
    const noCsrf = await app.inject({ method: 'POST', url: '/api/v1/customers/c1/merge', headers: admin.read, payload: { mergeId: 'c2' } });
    expect(noCsrf.statusCode).toBe(403);
    const withCsrf = await app.inject({ method: 'POST', url: '/api/v1/customers/c1/merge', headers: admin.write, payload: { mergeId: 'c2' } });
    expect(withCsrf.statusCode).toBe(404);

    expect((await app.inject({ method: 'GET', url: '/api/v1/reports' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports', headers: { authorization: 'Bearer the-token' } })).statusCode).toBe(200);
  });
});

describe('the studio page', () => {
  it('is served at /studio with its bundled script and stylesheet, framed by nobody', { timeout: 120_000 }, async () => {
    const db = await freshDatabase('sqlite');
    const parley = await testParley(db);
    const app = await buildServer(parley);
    try {
      const page = await app.inject({ method: 'GET', url: '/studio' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.body).toContain('<script src="/studio/assets/studio.js"></script>');
      const script = await app.inject({ method: 'GET', url: '/studio/assets/studio.js', headers: { 'accept-encoding': 'gzip' } });
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-encoding']).toBe('gzip');
      const again = await app.inject({ method: 'GET', url: '/studio/assets/studio.js', headers: { 'if-none-match': String(script.headers.etag) } });
      expect(again.statusCode).toBe(304);
      const style = await app.inject({ method: 'GET', url: '/studio/assets/studio.css' });
      expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(style.body).toContain('html[dir=rtl]');
    } finally {
      await app.close();
      await parley.stop();
      await db.dispose();
    }
  });
});
