import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AddressKind } from '../../src/core/address.ts';
import { normalizeEmail, normalizePhone } from '../../src/core/address.ts';

/** Who a widget session speaks for: the address its conversation is kept under. */
export interface Visitor {
  /** Stable id of this browser's visitor (kept in the page's localStorage through the token). */
  readonly visitorId: string;
  /** Address of the channel identity: the verified email or phone, `user:<id>`, or `visitor:<id>`. */
  readonly address: string;
  readonly addressKind: AddressKind;
  readonly name?: string;
  /** True when the site vouched for the identity with a valid HMAC. */
  readonly verified: boolean;
  /** What the visitor typed in the pre-chat form (normalised), shown to agents; never used to match a customer. */
  readonly contact?: { readonly email?: string; readonly phone?: string };
}

const VisitorSchema = z.object({
  visitorId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  address: z.string().min(1).max(512),
  addressKind: z.enum(['phone', 'email', 'opaque']),
  name: z.string().max(200).optional(),
  verified: z.boolean(),
  contact: z.object({ email: z.string().optional(), phone: z.string().optional() }).optional(),
});

/** What a site passes for a logged-in user (data attributes or Parley.init). */
export const SiteIdentitySchema = z.object({
  userId: z.string().min(1).max(200),
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
  name: z.string().max(200).optional(),
  hmac: z.string().max(200).optional(),
});
export type SiteIdentity = z.infer<typeof SiteIdentitySchema>;

const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The string a site signs for a user: userId, email and phone on separate lines (empty when absent). */
export const identityPayload = (identity: Pick<SiteIdentity, 'userId' | 'email' | 'phone'>): string =>
  `${identity.userId}\n${identity.email ?? ''}\n${identity.phone ?? ''}`;

/** What a site's server computes: hex HMAC-SHA256 of identityPayload with WEBCHAT_IDENTITY_SECRET. */
export const signIdentity = (secret: string, identity: Pick<SiteIdentity, 'userId' | 'email' | 'phone'>): string => hmacHex(secret, identityPayload(identity));

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

export const newVisitorId = (): string => randomBytes(18).toString('base64url');

export const anonymousVisitor = (visitorId: string, name?: string): Visitor => ({
  visitorId,
  address: `visitor:${visitorId}`,
  addressKind: 'opaque',
  name,
  verified: false,
});

/**
 * The visitor a site identity stands for. With a valid HMAC the conversation is kept under the
 * user's normalised email (else phone, else `user:<id>`), so the customer's other channels
 * match; without one it is refused when `enforce`, else the visitor stays anonymous (an
 * unsigned email could be anyone's).
 */
export function visitorFromIdentity(
  identity: SiteIdentity,
  options: { secret: string | undefined; enforce: boolean; visitorId: string; defaultRegion?: string },
): Visitor {
  const valid = options.secret !== undefined && identity.hmac !== undefined && sameText(identity.hmac.toLowerCase(), signIdentity(options.secret, identity));
  if (!valid) {
    if (options.enforce) throw new IdentityError(identity.hmac ? 'identity hmac does not match' : 'identity has no hmac and WEBCHAT_IDENTITY_ENFORCE is on');
    return anonymousVisitor(options.visitorId, identity.name);
  }
  try {
    if (identity.email)
      return { visitorId: options.visitorId, address: normalizeEmail(identity.email), addressKind: 'email', name: identity.name, verified: true };
    if (identity.phone)
      return {
        visitorId: options.visitorId,
        address: normalizePhone(identity.phone, options.defaultRegion),
        addressKind: 'phone',
        name: identity.name,
        verified: true,
      };
  } catch (error) {
    throw new IdentityError(`identity: ${(error as Error).message}`);
  }
  return { visitorId: options.visitorId, address: `user:${identity.userId}`, addressKind: 'opaque', name: identity.name, verified: true };
}

/** Signed, self-contained visitor tokens: base64url(JSON) + "." + HMAC. */
export class VisitorTokens {
  constructor(readonly secret: string) {}

  issue(visitor: Visitor): string {
    const body = Buffer.from(JSON.stringify(visitor)).toString('base64url');
    return `${body}.${createHmac('sha256', this.secret).update(body).digest('base64url')}`;
  }

  /** The visitor of a token, or undefined when it is malformed or not signed by this server. */
  read(token: string | undefined): Visitor | undefined {
    if (!token || token.length > 2048) return undefined;
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    if (!sameText(signature, createHmac('sha256', this.secret).update(body).digest('base64url'))) return undefined;
    try {
      const parsed = VisitorSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
