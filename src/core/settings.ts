import { z } from 'zod';

/**
 * A channel's settings as one zod object keyed by environment variable: each field carries its
 * documentation (what `parley config` and the README table show), its default (as the text a
 * user would write) and the parser that turns the text into the typed value the adapter gets.
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface SettingDoc {
  readonly env: string;
  readonly description: string;
  readonly example: string;
  /** The default as written in the environment; absent: unset means off or "not used". */
  readonly default?: string;
  /** Never printed: errors show "(hidden)" instead of the value. */
  readonly secret?: boolean;
}

type Doc = Omit<SettingDoc, 'env'>;

const docs = new WeakMap<z.ZodType, Doc>();

/** One environment variable with a default: the text default goes through `value` like a given one. */
export function setting<T extends z.ZodType>(value: T, doc: Doc & { readonly default: string }): z.ZodType<z.output<T>, string | undefined>;
/** One environment variable without a default: undefined when unset (or empty). */
export function setting<T extends z.ZodType>(value: T, doc: Doc): z.ZodType<z.output<T> | undefined, string | undefined>;
export function setting(value: z.ZodType, doc: Doc): z.ZodType {
  const fallback = doc.default;
  const schema =
    fallback === undefined
      ? value.optional()
      : z
          .string()
          .optional()
          .transform((given) => given ?? fallback)
          .pipe(value as z.ZodType<unknown, string>);
  docs.set(schema, doc);
  return schema;
}

export type SettingsShape = Record<string, z.ZodType<unknown, string | undefined>>;
export type SettingsSchema = z.ZodObject<SettingsShape>;
export type SettingsOf<S extends SettingsSchema> = z.output<S>;

/** A parser that throws (parseDuration, ...) as a string schema whose error names the problem. */
export function parsedBy<T>(parse: (value: string) => T) {
  return z.string().transform((value, ctx): T => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** "true" or "false" as a boolean; anything else is refused with the two allowed words. */
export const flag = () => z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/** A whole number above zero, written in decimal. */
export const positiveInteger = () => z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().positive());

/** A comma-separated list, blanks dropped. */
export const commaList = () =>
  z.string().transform((value) =>
    value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  );

export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'SettingsError';
  }
}

/** The typed values of a settings schema read from the environment; an empty variable counts as unset. */
export function readSettings<S extends SettingsSchema>(schema: S, env: Env): SettingsOf<S> {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) input[name] = env[name] === '' ? undefined : env[name];
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as SettingsOf<S>;
  throw new SettingsError(
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const raw = input[name];
      const shown = raw === undefined ? '(unset)' : docOf(schema, name)?.secret ? '(hidden)' : JSON.stringify(raw);
      return `${name}=${shown}: ${issue.message}`;
    }),
  );
}

function docOf(schema: SettingsSchema, name: string): Doc | undefined {
  const field = schema.shape[name];
  return field ? docs.get(field) : undefined;
}

/** Each variable of a settings schema with its documentation, in the schema's order. */
export function settingDocs(schema: SettingsSchema): SettingDoc[] {
  return Object.keys(schema.shape).map((env) => {
    const doc = docOf(schema, env);
    if (!doc) throw new Error(`setting ${env} has no documentation: declare it with setting()`);
    return { env, ...doc };
  });
}
