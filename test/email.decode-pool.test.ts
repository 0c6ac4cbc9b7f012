import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusContext, readCorpus } from '../channels/email/corpus.ts';
import { MailDecodePool } from '../channels/email/decode-pool.ts';
import { decodeMail } from '../channels/email/parse.ts';
import { MailFileStore } from '../channels/email/store.ts';
import { composeRaw } from './support/mail.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-decode-pool-'));
const pool = new MailDecodePool(2);
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** mailparser dates a mail without a usable Date header "now": the two decodes differ only there. */
const withoutNow = (decoded: unknown) => JSON.parse(JSON.stringify(decoded).replace(/"sentAt":"[^"]+"/g, '"sentAt":"?"')) as unknown;

describe('decoding mail on worker threads', () => {
  it('gives what decodeMail gives in this thread, for every mail of the corpus, attachments written the same', async () => {
    const corpus = readCorpus();
    const onThreads = await Promise.all(corpus.map(({ source }) => pool.decode(source, corpusContext(new MailFileStore(join(dir, 'threads'))))));
    const here = await Promise.all(corpus.map(({ source }) => decodeMail(source, corpusContext(new MailFileStore(join(dir, 'here'))))));
    const sameStore = (decoded: unknown) => withoutNow(JSON.parse(JSON.stringify(decoded).replaceAll(join(dir, 'threads'), join(dir, 'here'))));
    for (const [i, { file }] of corpus.entries()) expect(sameStore(onThreads[i]), file).toEqual(withoutNow(here[i]));
  }, 120_000);

  it('fails the mail whose files cannot be written, with the reason, and keeps decoding others', async () => {
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, '');
    const mail = await composeRaw({ from: 'sara@example.org', to: 'support@example.com', subject: 'Hello', messageId: '<pool-1@example.org>', text: 'Hi' });
    // The store's folder would be inside a file.
    await expect(pool.decode(mail, corpusContext(new MailFileStore(join(aFile, 'store'))))).rejects.toThrow(/ENOTDIR|EEXIST/);
    const decoded = await pool.decode(mail, corpusContext(new MailFileStore(join(dir, 'writable'))));
    expect(decoded.kind).toBe('message');
  }, 60_000);
});
