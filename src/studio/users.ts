import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Database } from '../db/database.ts';
import { hashPassword } from './passwords.ts';
import { STUDIO_ROLES, type StudioRole } from './roles.ts';

export const StudioEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'not an email address' }));

export const StudioRoleSchema = z.enum(STUDIO_ROLES, { message: `a role is one of ${STUDIO_ROLES.join(', ')}` });

export interface StudioUserView {
  readonly id: string;
  readonly email: string;
  readonly role: StudioRole;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

const VIEW = { id: true, email: true, role: true, createdAt: true, disabledAt: true } as const;

/** An email as stored: trimmed and lower-cased; a clear error names what is wrong. */
export function studioEmail(text: string): string {
  const parsed = StudioEmail.safeParse(text);
  if (!parsed.success) throw new UserError(`email "${text}": ${parsed.error.issues[0]?.message ?? 'not valid'}`);
  return parsed.data;
}

export function studioRole(text: string): StudioRole {
  const parsed = StudioRoleSchema.safeParse(text);
  if (!parsed.success) throw new UserError(`role "${text}": ${parsed.error.issues[0]?.message ?? 'not valid'}`);
  return parsed.data;
}

export async function addStudioUser(db: Database, input: { email: string; role: StudioRole; password: string }): Promise<StudioUserView> {
  const email = studioEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return db.write(async (tx) => {
    if (await tx.studioUser.findUnique({ where: { email }, select: { id: true } })) throw new UserError(`a studio user ${email} exists already`, 409);
    return tx.studioUser.create({ data: { id: newId(), email, role: input.role, passwordHash }, select: VIEW });
  });
}

export function listStudioUsers(db: Database): Promise<StudioUserView[]> {
  return db.prisma.studioUser.findMany({ select: VIEW, orderBy: { email: 'asc' } });
}

/** Removes the user and their sessions (they are logged out at once). */
export async function removeStudioUser(db: Database, emailText: string): Promise<void> {
  const email = studioEmail(emailText);
  await db.write(async (tx) => {
    const user = await tx.studioUser.findUnique({ where: { email }, select: { id: true } });
    if (!user) throw new NotFoundError(`studio user ${email}`);
    await tx.studioSession.deleteMany({ where: { userId: user.id } });
    await tx.studioUser.delete({ where: { id: user.id } });
  });
}

/** Sets a new password; the user's sessions end, so a leaked one stops working. */
export async function setStudioPassword(db: Database, emailText: string, password: string): Promise<void> {
  const email = studioEmail(emailText);
  const passwordHash = await hashPassword(password);
  await db.write(async (tx) => {
    const user = await tx.studioUser.findUnique({ where: { email }, select: { id: true } });
    if (!user) throw new NotFoundError(`studio user ${email}`);
    await tx.studioUser.update({ where: { id: user.id }, data: { passwordHash }, select: { id: true } });
    await tx.studioSession.deleteMany({ where: { userId: user.id } });
  });
}
