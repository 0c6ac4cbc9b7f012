import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InboundMessageSchema } from '../../src/core/message.ts';
import { type DecodedMail, decodeMail, type ParseContext } from './parse.ts';
import { MailFileStore } from './store.ts';

export const CATEGORIES = ['bounce', 'auto-reply', 'reply-by-client', 'charset', 'attachment', 'broken-mime', 'large'] as const;

/** The corpus: SOURCES.md (each mail's origin), expected.json (what Parley must make of it) and the mails, one folder per category. */
export const CORPUS_DIR = fileURLToPath(new URL('./fixtures/corpus/', import.meta.url));

/** A corpus directory that is not there, or has no category folders: said plainly (the CLI prints it without a stack). */
export class CorpusMissingError extends Error {}

/**
 * Where the mails are: the committed copy in channels/email/fixtures/corpus/, or another corpus
 * of the same layout (<category>/<file>.eml) where PARLEY_EMAIL_CORPUS points. Throws
 * CorpusMissingError naming the directory and what it lacks.
 */
export function corpusMailDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const dir = env.PARLEY_EMAIL_CORPUS || CORPUS_DIR;
  const source = env.PARLEY_EMAIL_CORPUS ? 'the corpus directory' : 'the committed corpus directory';
  if (!existsSync(dir)) throw new CorpusMissingError(`${source} ${dir} does not exist`);
  const missing = CATEGORIES.filter((category) => !existsSync(join(dir, category)));
  if (missing.length > 0)
    throw new CorpusMissingError(
      `${source} ${dir} has no ${missing.map((c) => `${c}/`).join(', ')} folder: it must hold one folder per category (${CATEGORIES.join(', ')})`,
    );
  return dir;
}

/** What Parley must make of one corpus mail. */
const ExpectedMailSchema = z
  .object({
    outcome: z.enum(['message', 'bounce', 'delay', 'unusable']),
    /** message: stored but never answered. */
    automated: z.boolean().optional(),
    /** message: the visible text starts with this (whitespace collapsed); "" means no text. */
    text: z.string().optional(),
    /** bounce: the reason contains this. */
    reason: z.string().optional(),
    /** bounce: the Message-ID of the returned mail; message: its In-Reply-To. */
    original: z.string().optional(),
    /** message: how many attachments are kept. */
    attachments: z.number().int().nonnegative().optional(),
    /** Why Parley still reads this mail wrong; the corpus test fails once it reads it right, so the entry is updated. */
    knownWrong: z.string().optional(),
  })
  .strict();
export type ExpectedMail = z.infer<typeof ExpectedMailSchema>;

export const ExpectedCorpusSchema = z.record(z.string().regex(/^[\w-]+\/[\w.-]+\.eml$/, 'a key is <category>/<file>.eml'), ExpectedMailSchema);

export interface MailVerdict {
  readonly file: string;
  readonly category: string;
  readonly storedRight: boolean;
  readonly textRight: boolean;
  readonly threadingRight: boolean;
  /** A bounce, delay warning or automatic mail the bot would have answered. */
  readonly wronglyAnswered: boolean;
  readonly problems: readonly string[];
  /** Set when expected.json records this mail as still read wrong, and why. */
  readonly knownWrong: string | undefined;
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Compares what decodeMail made of one mail with what it should have made. */
export function judge(file: string, decoded: DecodedMail, expected: ExpectedMail): MailVerdict {
  const problems: string[] = [];
  const category = file.split('/')[0] as string;
  const answered = decoded.kind === 'message' && !decoded.message.automated;
  const shouldBeSilent = expected.outcome !== 'message' || expected.automated === true;
  let storedRight = decoded.kind === expected.outcome;
  if (!storedRight) problems.push(`decoded as ${decoded.kind}, expected ${expected.outcome}`);
  let textRight = storedRight;
  let threadingRight = storedRight;
  if (decoded.kind === 'message') {
    const m = decoded.message;
    if (expected.automated !== undefined && m.automated !== expected.automated) {
      storedRight = false;
      problems.push(`automated is ${m.automated}, expected ${expected.automated}`);
    }
    const refused = InboundMessageSchema.safeParse(m);
    if (!refused.success) {
      storedRight = false;
      problems.push(`the inbox would refuse it: ${refused.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    }
    const attachments = m.attachments?.length ?? 0;
    if (expected.attachments !== undefined && attachments !== expected.attachments) {
      storedRight = false;
      problems.push(`${attachments} attachments, expected ${expected.attachments}`);
    }
    const text = collapse(m.text ?? '');
    const want = collapse(expected.text ?? '');
    textRight = want === '' ? text === '' : text.startsWith(want);
    if (!textRight) problems.push(`text ${JSON.stringify(text.slice(0, 120))} does not start with ${JSON.stringify(want)}`);
    threadingRight = (m.replyTo ?? undefined) === expected.original;
    if (!threadingRight) problems.push(`In-Reply-To ${m.replyTo}, expected ${expected.original}`);
  } else if (decoded.kind === 'bounce') {
    textRight = expected.reason === undefined || decoded.reason.includes(expected.reason);
    if (!textRight) problems.push(`reason ${JSON.stringify(decoded.reason)} does not contain ${JSON.stringify(expected.reason)}`);
    threadingRight = decoded.originalMessageIds[0] === expected.original;
    if (!threadingRight) problems.push(`original ${decoded.originalMessageIds[0]}, expected ${expected.original}`);
  }
  return { file, category, storedRight, textRight, threadingRight, wronglyAnswered: answered && shouldBeSilent, problems, knownWrong: expected.knownWrong };
}

export function readExpected(): Record<string, ExpectedMail> {
  const parsed = ExpectedCorpusSchema.safeParse(JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')));
  if (!parsed.success)
    throw new Error(`channels/email/fixtures/corpus/expected.json: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Every corpus file as <category>/<name>.eml. */
export const corpusFiles = (dir = corpusMailDir()): string[] =>
  CATEGORIES.flatMap((category) =>
    readdirSync(join(dir, category))
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => `${category}/${f}`),
  );

/** Every corpus mail's bytes, keyed as corpusFiles names them. */
export function readCorpus(dir = corpusMailDir()): { readonly file: string; readonly source: Buffer }[] {
  return corpusFiles(dir).map((file) => ({ file, source: readFileSync(join(dir, file)) }));
}

export interface CorpusRun {
  readonly verdicts: readonly MailVerdict[];
  readonly decodeMs: number;
  readonly bytes: number;
}

/** How the corpus is read: one support mailbox, attachments up to 25 MiB, files under `store`. */
export const corpusContext = (store: MailFileStore): ParseContext => ({
  channel: 'email',
  mailbox: { name: 'support', team: 'support', folder: 'INBOX' },
  ownAddresses: new Set(['support@example.com']),
  tokenPrefix: 'PRL',
  threadWindowMs: 7 * 86_400_000,
  attachmentMaxBytes: 25 * 1024 * 1024,
  store,
});

/** Decodes every corpus mail one after another (as a first import does) and judges each. */
export async function runCorpus(dir?: string): Promise<CorpusRun> {
  const expected = readExpected();
  const mails = readCorpus(dir === undefined ? corpusMailDir() : corpusMailDir({ PARLEY_EMAIL_CORPUS: dir }));
  const missing = mails.filter(({ file }) => !expected[file]).map(({ file }) => file);
  if (missing.length > 0) throw new Error(`channels/email/fixtures/corpus/expected.json has no entry for ${missing.join(', ')}`);
  const storeDir = mkdtempSync(join(tmpdir(), 'parley-corpus-'));
  try {
    const context = corpusContext(new MailFileStore(storeDir));
    const verdicts: MailVerdict[] = [];
    let decodeMs = 0;
    let bytes = 0;
    for (const { file, source } of mails) {
      bytes += source.length;
      const started = performance.now();
      const decoded = await decodeMail(source, context);
      decodeMs += performance.now() - started;
      verdicts.push(judge(file, decoded, expected[file] as ExpectedMail));
    }
    return { verdicts, decodeMs, bytes };
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}
