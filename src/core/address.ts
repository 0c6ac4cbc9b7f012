import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { z } from 'zod';

export type AddressKind = 'phone' | 'email' | 'opaque';

/** An address Parley cannot use; the message says what is wrong with which input. */
export class AddressError extends Error {
  constructor(
    message: string,
    readonly input: string,
    readonly kind: AddressKind,
  ) {
    super(message);
    this.name = 'AddressError';
  }
}

const PERSIAN_ZERO = 0x06f0;
const ARABIC_INDIC_ZERO = 0x0660;

/** Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII; everything else unchanged. */
export function toAsciiDigits(text: string): string {
  return text.replace(/[\u06f0-\u06f9\u0660-\u0669]/g, (d) => {
    const code = d.charCodeAt(0);
    return String(code - (code >= PERSIAN_ZERO ? PERSIAN_ZERO : ARABIC_INDIC_ZERO));
  });
}

// Bidi marks and isolates that RTL keyboards and copy-paste put around numbers, and NBSP.
const INVISIBLE = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u00a0\u200b\ufeff]/g;
const WHATSAPP_JID = /@(c\.us|s\.whatsapp\.net)$/i;
/** What a written phone number may hold besides digits: spaces, dashes, brackets, dots, plus and slash. */
const NOT_PHONE_CHARACTER = /[^\d\s\-().+/]/;

/** A phone number in E.164 ("+989121234567"). defaultRegion ("IR", or a list "IR,AE" tried in order) reads national numbers. */
export function normalizePhone(input: string, defaultRegion?: string): string {
  let text = toAsciiDigits(input).replace(INVISIBLE, ' ').trim();
  if (WHATSAPP_JID.test(text)) text = `+${text.replace(WHATSAPP_JID, '')}`;
  if (!text) throw new AddressError('an empty phone number was given', input, 'phone');
  const junk = [...text].filter((c) => NOT_PHONE_CHARACTER.test(c)).join('');
  if (junk) throw new AddressError(`"${input}" is not a phone number: it contains "${junk}"`, input, 'phone');
  const compact = text.replace(/[\s\-().]/g, '');
  // The international prefix 00 means "+" in most of the world (Iran, the Gulf, Europe).
  const international = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  const regions = defaultRegion ? defaultRegion.split(',').filter(Boolean) : [];
  if (!international.startsWith('+') && regions.length === 0) {
    throw new AddressError(`"${input}" has no country code and no default region is configured (set PARLEY_DEFAULT_REGION, e.g. IR)`, input, 'phone');
  }
  if (!international.startsWith('+') && regions.length > 1) {
    // A national number: the first region in which it is a valid number.
    for (const region of regions) {
      try {
        const candidate = parsePhoneNumberWithError(international, { defaultCountry: region as CountryCode });
        if (candidate.isValid()) return candidate.number;
      } catch {
        // not a number of this region; try the next
      }
    }
    throw new AddressError(
      `"${input}" has no country code and is not a valid local number in ${regions.join(' or ')} (write it with its country code, e.g. +98...)`,
      input,
      'phone',
    );
  }
  let parsed: ReturnType<typeof parsePhoneNumberWithError>;
  try {
    parsed = parsePhoneNumberWithError(international, regions[0] ? { defaultCountry: regions[0] as CountryCode } : undefined);
  } catch (error) {
    const reason = error instanceof ParseError ? error.message : String(error);
    const explanation: Record<string, string> = {
      TOO_SHORT: 'is too short to be a phone number',
      TOO_LONG: 'is too long to be a phone number',
      NOT_A_NUMBER: 'is not a phone number',
      INVALID_COUNTRY: 'has a country code that does not exist',
      INVALID_LENGTH: 'has the wrong number of digits',
    };
    throw new AddressError(`"${input}" ${explanation[reason] ?? `is not a phone number (${reason})`}`, input, 'phone');
  }
  if (!parsed.isPossible())
    throw new AddressError(`"${input}" has the wrong number of digits for ${parsed.country ?? `+${parsed.countryCallingCode}`}`, input, 'phone');
  if (!parsed.isValid()) {
    // A national number read with the deployment's region may belong to another country.
    const national = international.startsWith('+') ? '' : ' (a number of another country needs its country code, e.g. +971...)';
    throw new AddressError(`"${input}" is not a valid number in ${parsed.country ?? `+${parsed.countryCallingCode}`}${national}`, input, 'phone');
  }
  return parsed.number;
}

const Email = z.email();
/** RFC 6532 (SMTPUTF8) addresses: Unicode local part and domain; checked only when the address is not ASCII. */
const INTERNATIONAL_EMAIL = /^[^\s@"<>(),;:\\[\]]{1,64}@(?:[^\s@"<>(),;:\\[\].]+\.)+[^\s@"<>(),;:\\[\].\d]{2,}$/u;
const isEmail = (text: string) => (/^[ -~]*$/.test(text) ? Email.safeParse(text).success : INTERNATIONAL_EMAIL.test(text));

/** Lowercased and validated; accepts "mailto:" and "<a@b.c>" forms. */
export function normalizeEmail(input: string): string {
  const text = input
    .replace(INVISIBLE, '')
    .trim()
    .replace(/^mailto:/i, '')
    .replace(/^<(.*)>$/, '$1')
    .trim()
    .toLowerCase();
  if (!text) throw new AddressError('an empty email address was given', input, 'email');
  if (!isEmail(text)) throw new AddressError(`"${input}" is not an email address`, input, 'email');
  return text;
}

// Every inbound message normalizes its sender twice (lane key, then customer lookup) and
// customers write many times: recent phone numbers are remembered (parsing is ~10 µs).
const recentPhones = new Map<string, string>();
const MAX_RECENT_PHONES = 10_000;

function cachedPhone(input: string, defaultRegion: string | undefined): string {
  const key = `${defaultRegion ?? ''}\u0000${input}`;
  let normalized = recentPhones.get(key);
  if (normalized === undefined) {
    normalized = normalizePhone(input, defaultRegion);
    if (recentPhones.size >= MAX_RECENT_PHONES) recentPhones.clear();
    recentPhones.set(key, normalized);
  }
  return normalized;
}

export function normalizeAddress(kind: AddressKind, input: string, defaultRegion?: string): string {
  if (kind === 'phone') return cachedPhone(input, defaultRegion);
  if (kind === 'email') return normalizeEmail(input);
  const text = toAsciiDigits(input).replace(INVISIBLE, '').trim();
  if (!text) throw new AddressError('an empty address was given', input, 'opaque');
  return text;
}

/**
 * Why a search entry that looks like a phone number could not be read as one ("0912 123 4567"
 * with no region that reads it, a digit too many), or undefined when it reads fine or is not
 * number-like (a name). Search shows it beside "no customer found", so an agent knows what to type.
 */
export function unreadPhoneReason(input: string, defaultRegion?: string): string | undefined {
  if (input.includes('@')) return undefined;
  const text = toAsciiDigits(input).replace(INVISIBLE, ' ');
  if (text.replace(/\D/g, '').length < 5 || NOT_PHONE_CHARACTER.test(text)) return undefined;
  try {
    normalizePhone(input, defaultRegion);
    return undefined;
  } catch (error) {
    return error instanceof AddressError ? error.message : String(error);
  }
}

/** What a search box entry could mean as an address; never throws. */
export function addressCandidates(input: string, defaultRegion?: string): { kind: AddressKind; value: string }[] {
  if (input.includes('@')) {
    try {
      return [{ kind: 'email', value: normalizeEmail(input) }];
    } catch {
      return [];
    }
  }
  try {
    return [{ kind: 'phone', value: normalizePhone(input, defaultRegion) }];
  } catch {
    return [];
  }
}
