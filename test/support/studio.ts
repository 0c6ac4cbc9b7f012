import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { SESSION_COOKIE } from '../../src/studio/auth.ts';
import type { StudioRole } from '../../src/studio/roles.ts';
import { addStudioUser } from '../../src/studio/users.ts';

export const STUDIO_PASSWORD = 'correct horse battery staple';

/** A studio user with STUDIO_PASSWORD. */
export async function studioUser(db: Database, email: string, role: StudioRole): Promise<void> {
  await addStudioUser(db, { email, role, password: STUDIO_PASSWORD });
}

export interface StudioLogin {
  /** Headers a logged-in browser sends on a read: the session cookie. */
  readonly read: Record<string, string>;
  /** Headers of a change: the cookie and the CSRF token. */
  readonly write: Record<string, string>;
  readonly csrfToken: string;
}

/** Logs in through POST /studio/api/login, as the browser does. */
export async function logIn(app: FastifyInstance, email: string): Promise<StudioLogin> {
  const response = await app.inject({ method: 'POST', url: '/studio/api/login', payload: { email, password: STUDIO_PASSWORD } });
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('login set no session cookie');
  const { csrfToken } = response.json() as { csrfToken: string };
  const read = { cookie: `${SESSION_COOKIE}=${cookie.value}` };
  return { read, write: { ...read, 'x-csrf-token': csrfToken }, csrfToken };
}

/** Logs in on the studio's login page in a browser, and waits for the studio's navigation. */
export async function logInOnPage(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/studio`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', STUDIO_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector('.shell nav');
}
