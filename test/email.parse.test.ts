import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEmailConfig } from '../channels/email/config.ts';
import { uidSet } from '../channels/email/imap.ts';
import { type DecodedMail, decodeMail, type ParseContext } from '../channels/email/parse.ts';
import { MailFileStore } from '../channels/email/store.ts';
import { replySubject, stripSubject, subjectKey, tokenOf } from '../channels/email/subject.ts';
import { emailChannel } from '../channels/email/index.ts';
import { type InboundMessage, InboundMessageSchema, MAX_TEXT_LENGTH } from '../src/core/message.ts';
import { bounceMail, composeRaw, windows1256Mail } from './support/mail.ts';
import { openChannel } from '../src/core/channel.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-mail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const context: ParseContext = {
  channel: 'email',
  mailbox: { name: 'support', team: 'support', folder: 'INBOX' },
  ownAddresses: new Set(['support@example.com']),
  tokenPrefix: 'PRL',
  threadWindowMs: 86_400_000,
  attachmentMaxBytes: 1000,
  store: new MailFileStore(dir),
};

async function message(source: Buffer | string): Promise<InboundMessage> {
  const decoded: DecodedMail = await decodeMail(Buffer.from(source), context);
  if (decoded.kind !== 'message') throw new Error(`expected a message, got ${decoded.kind}`);
  return decoded.message;
}

describe('email decoding', () => {
  it('decodes a Persian windows-1256 quoted-printable mail with a base64 encoded-word subject and keeps the original', async () => {
    const source = windows1256Mail({
      from: 'Ali.Rezaei@Example.IR',
      to: 'support@example.com',
      messageId: '<fa-1@example.ir>',
      // windows-1256 has no Persian yeh or Persian digits: such clients write Arabic yeh (ي).
      subject: 'سفارش شماره 123',
      body: 'سلام، سفارش من هنوز نرسيده است.\nلطفاً پيگيري کنيد.',
    });
    const m = await message(source);
    expect(m.text).toBe('سلام، سفارش من هنوز نرسيده است.\nلطفاً پيگيري کنيد.');
    expect(m.subject).toBe('سفارش شماره 123');
    expect(m.sender).toEqual({ address: 'ali.rezaei@example.ir', addressKind: 'email', displayName: 'علي رضايي' });
    expect(m.externalId).toBe('<fa-1@example.ir>');
    expect(m.automated).toBe(false);
    expect(m.team).toBe('support');
    const original = (m.metadata as { original: string }).original;
    expect(readFileSync(fileURLToPath(original))).toEqual(source);
  });

  it('reads UTF-8 base64 bodies and Arabic encoded-word subjects', async () => {
    const m = await message(
      await composeRaw({
        from: '"محمد" <m@example.ae>',
        to: 'support@example.com',
        subject: 'استفسار عن الطلب',
        text: 'مرحبا، أين طلبي؟',
        textEncoding: 'base64',
        messageId: '<ar-1@example.ae>',
      }),
    );
    expect(m.text).toBe('مرحبا، أين طلبي؟');
    expect(m.subject).toBe('استفسار عن الطلب');
    expect(m.sender.displayName).toBe('محمد');
  });

  it('converts HTML-only mail to readable text and drops the quoted history and signature', async () => {
    const m = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Re: Refund [#PRL-K7Q3M9XA]',
        inReplyTo: '<parley-1@example.com>',
        references: ['<first@example.com>', '<parley-1@example.com>'],
        html: '<div>Yes, <b>please</b> refund it.</div><div class="gmail_quote">On Mon, Support wrote:<blockquote>We can refund or replace.</blockquote></div>',
      }),
    );
    expect(m.text).toBe('Yes, please refund it.');
    expect(m.thread).toEqual({ references: ['<parley-1@example.com>', '<first@example.com>'], token: 'K7Q3M9XA', subjectKey: 'refund', windowMs: 86_400_000 });
    expect(m.subject).toBe('Refund');
    expect(m.replyTo).toBe('<parley-1@example.com>');
  });

  it('gives flows the first non-quoted lines of a plain-text reply (any digit system survives)', async () => {
    const m = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Re: How did we do?',
        text: '۲\n\nOn Mon, 16 Nov 2026 at 10:00, Support <support@example.com> wrote:\n> How did we do?\n> 1. Good\n> 2. Bad\n',
      }),
    );
    expect(m.text).toBe('۲');
    const persian = await message(
      await composeRaw({
        from: 'ali@example.ir',
        to: 'support@example.com',
        subject: 'پاسخ: نظرسنجی',
        text: '۱\n\nدر تاریخ ۲۵ آبان ۱۴۰۵، پشتیبانی <support@example.com> نوشت:\n> ۱. خوب\n> ۲. بد\n',
      }),
    );
    expect(persian.text).toBe('۱');
    expect(persian.thread?.subjectKey).toBe('نظرسنجی');
  });

  it('keeps a forwarded mail whole', async () => {
    const m = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Fwd: Your invoice',
        text: 'See below.\n\n---------- Forwarded message ---------\nFrom: Shop <shop@example.net>\nSubject: Your invoice\n\nInvoice 42: 10 EUR\n',
      }),
    );
    expect(m.text).toContain('Invoice 42: 10 EUR');
    expect(m.thread?.subjectKey).toBe('your invoice');
  });

  it('stores attachments under the store directory as file: URLs and lists oversized ones without storing them', async () => {
    const m = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Photos',
        text: 'Two files.',
        attachments: [
          { filename: 'رسید.txt', content: 'small receipt', contentType: 'text/plain' },
          { filename: 'big.bin', content: Buffer.alloc(5000, 1), contentType: 'application/octet-stream' },
        ],
      }),
    );
    const [small, big] = m.attachments ?? [];
    expect(small).toMatchObject({ kind: 'document', fileName: 'رسید.txt', mimeType: 'text/plain', size: 13 });
    expect(small?.url?.startsWith(`file://${dir}`)).toBe(true);
    expect(readFileSync(fileURLToPath(small?.url as string), 'utf8')).toBe('small receipt');
    expect(big?.url).toBeUndefined();
    expect(big?.caption).toMatch(/5000 bytes is over the 1000-byte limit/);
  });

  it('cuts text over the inbox limit (with …) so the inbox takes the mail, and converts only the start of huge HTML', async () => {
    const long = await message(
      await composeRaw({ from: 'sara@example.com', to: 'support@example.com', subject: 'Log', text: `Log follows.\n${'line of the log\n'.repeat(20_000)}` }),
    );
    expect(long.text?.length).toBe(MAX_TEXT_LENGTH);
    expect(long.text?.endsWith('…')).toBe(true);
    expect(InboundMessageSchema.safeParse(long).success).toBe(true);
    const page = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Page',
        html: `<p>Start of the page.</p>${'<p>filler text</p>'.repeat(50_000)}<p>End.</p>`,
      }),
    );
    expect(page.text?.startsWith('Start of the page.')).toBe(true);
    expect(page.text).not.toContain('End.');
    expect(InboundMessageSchema.safeParse(page).success).toBe(true);
  });

  it('streams attachments to the store with their SHA-256, leaves no partial file of an oversized one, and keeps no files of a bounce', async () => {
    const receipt = Buffer.from('رسید ۴۲'.repeat(20));
    const m = await message(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Receipt',
        messageId: '<streamed-1@example.com>',
        text: 'Attached.',
        attachments: [
          { filename: 'big.bin', content: Buffer.alloc(70_000, 7), contentType: 'application/octet-stream' },
          { filename: 'receipt.txt', content: receipt, contentType: 'text/plain' },
        ],
      }),
    );
    const [big, small] = m.attachments ?? [];
    expect(big).toMatchObject({ size: 70_000, caption: expect.stringMatching(/over the 1000-byte limit/) });
    expect(small).toMatchObject({ size: receipt.length, sha256: createHash('sha256').update(receipt).digest('hex') });
    const files = readdirSync(dirname(fileURLToPath(small?.url as string)));
    expect(files).toEqual([basename(fileURLToPath(small?.url as string))]);

    // Larger than one write (256 KiB): written in pieces, byte for byte.
    const scan = randomBytes(600_000);
    const decodedScan = await decodeMail(
      await composeRaw({
        from: 'sara@example.com',
        to: 'support@example.com',
        subject: 'Scan',
        messageId: '<streamed-2@example.com>',
        text: 'Scan.',
        attachments: [{ filename: 'scan.pdf', content: scan }],
      }),
      { ...context, attachmentMaxBytes: 1024 * 1024 },
    );
    const [scanFile] = decodedScan.kind === 'message' ? (decodedScan.message.attachments ?? []) : [];
    expect(readFileSync(fileURLToPath(scanFile?.url as string)).equals(scan)).toBe(true);
    expect(scanFile?.sha256).toBe(createHash('sha256').update(scan).digest('hex'));

    const bounce = await composeRaw({
      from: 'MAILER-DAEMON@mx.example.net',
      to: 'support@example.com',
      subject: 'Undelivered Mail Returned to Sender',
      messageId: '<bounce-with-file@mx.example.net>',
      text: 'This is the mail system. I am sorry to have to inform you that your message could not be delivered.\n\n<ali@example.org>: host mx.example.org said: 550 5.1.1 User unknown',
      attachments: [{ filename: 'log.txt', content: 'smtp log', contentType: 'text/plain' }],
      headers: { 'In-Reply-To': '<out-1@example.com>' },
    });
    const decoded = await decodeMail(bounce, context);
    expect(decoded.kind).toBe('bounce');
    const stored = readdirSync(dir, { recursive: true }).map(String);
    expect(stored.filter((f) => f.endsWith('log.txt'))).toEqual([]);
  });

  it.each([
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }, 'sara@example.com'],
    ['Precedence: bulk', { Precedence: 'bulk' }, 'sara@example.com'],
    ['Precedence: list', { Precedence: 'list' }, 'sara@example.com'],
    ['X-Autoreply', { 'X-Autoreply': 'yes' }, 'sara@example.com'],
    ['List-Id', { 'List-Id': '<news.example.com>' }, 'news@example.com'],
    ['postmaster', {}, 'postmaster@example.com'],
    ['MAILER-DAEMON', {}, 'MAILER-DAEMON@example.com'],
    ["Parley's own address", {}, 'support@example.com'],
  ])('marks %s as automated', async (_name, headers, from) => {
    const m = await message(await composeRaw({ from, to: 'support@example.com', subject: 'Out of office', text: 'I am away.', headers }));
    expect(m.automated).toBe(true);
  });

  it('does not mark Auto-Submitted: no as automated', async () => {
    const m = await message(
      await composeRaw({ from: 'sara@example.com', to: 'support@example.com', subject: 'Hi', text: 'Hi', headers: { 'Auto-Submitted': 'no' } }),
    );
    expect(m.automated).toBe(false);
  });

  it("reads a bounce as a failure of the original send, with the server's reason", async () => {
    const decoded = await decodeMail(
      Buffer.from(bounceMail({ to: 'support@example.com', originalMessageId: '<sent-1@example.com>', recipient: 'nobody@example.org' })),
      context,
    );
    expect(decoded).toMatchObject({ kind: 'bounce', originalMessageIds: ['<sent-1@example.com>'] });
    expect(decoded.kind === 'bounce' && decoded.reason).toMatch(/nobody@example.org.*5\.1\.1.*User unknown/);
  });

  it('stores mails decoded in parallel into a store whose folders do not exist yet, each with its attachment', async () => {
    const store = new MailFileStore(join(dir, 'parallel', 'not', 'made'));
    const mails = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        composeRaw({
          from: 'sara@example.com',
          to: 'support@example.com',
          subject: `Receipt ${i}`,
          messageId: `<parallel-${i}@example.com>`,
          text: 'Attached.',
          attachments: [{ filename: `receipt-${i}.txt`, content: `receipt ${i}` }],
        }),
      ),
    );
    const decoded = await Promise.all(mails.map((raw) => decodeMail(raw, { ...context, store })));
    for (const [i, d] of decoded.entries()) {
      const m = d.kind === 'message' ? d.message : undefined;
      expect(readFileSync(fileURLToPath(m?.metadata?.original as string))).toEqual(mails[i]);
      expect(readFileSync(fileURLToPath(m?.attachments?.[0]?.url as string), 'utf8')).toBe(`receipt ${i}`);
    }
  });

  it('derives a stable Message-ID for mail without one, so a re-import is a duplicate', async () => {
    const raw = 'From: a@example.com\r\nTo: support@example.com\r\nSubject: x\r\n\r\nno id\r\n';
    const [a, b] = [await message(raw), await message(raw)];
    expect(a.externalId).toMatch(/^<[0-9a-f]{40}@parley\.invalid>$/);
    expect(b.externalId).toBe(a.externalId);
  });
});

describe('email subjects', () => {
  it.each([
    ['Re: Order 5', 'order 5'],
    ['RE: Fwd: AW: Order 5', 'order 5'],
    ['پاسخ: Order 5', 'order 5'],
    ['رد: Order 5', 'order 5'],
    ['Re[2]: Order 5', 'order 5'],
    ['Re: Order 5 [#PRL-K7Q3M9XA]', 'order 5'],
    ['[support] Re: Order ۵', 'order 5'],
  ])('normalizes %s', (subject, key) => {
    expect(subjectKey(subject, 'PRL')).toBe(key);
  });

  it('has no key for empty or too short subjects (they never merge mail)', () => {
    expect(subjectKey('Re:', 'PRL')).toBeUndefined();
    expect(subjectKey(undefined, 'PRL')).toBeUndefined();
    expect(subjectKey('Re: hi', 'PRL')).toBeUndefined();
  });

  it('finds the token and builds reply subjects without doubling Re: or the token', () => {
    expect(tokenOf('Fwd: Re: Order [#prl-k7q3m9xa]', 'PRL')).toBe('K7Q3M9XA');
    expect(tokenOf('Order [#ACME-K7Q3M9XA]', 'PRL')).toBeUndefined();
    expect(replySubject('Re: Order 5 [#PRL-K7Q3M9XA]', 'K7Q3M9XA', 'PRL', 'x')).toBe('Re: Order 5 [#PRL-K7Q3M9XA]');
    expect(replySubject(null, 'K7Q3M9XA', 'PRL', 'Your message')).toBe('Re: Your message [#PRL-K7Q3M9XA]');
    expect(stripSubject('Re: [#PRL-K7Q3M9XA] سفارش', 'PRL')).toBe('سفارش');
  });
});

describe('email configuration', () => {
  it('stays off without configuration and says which variables turn it on', async () => {
    const created = await openChannel(emailChannel, {});
    expect(created).toEqual({ off: expect.stringMatching(/EMAIL_IMAP_URL.*EMAIL_SMTP_URL.*EMAIL_ADDRESS.*EMAIL_MAILBOXES/) });
  });

  it('reads one mailbox from URLs and never repeats the password in errors', async () => {
    const config = loadEmailConfig({
      EMAIL_IMAP_URL: 'imaps://support%40example.com:p%40ss@imap.example.com',
      EMAIL_SMTP_URL: 'smtp://support%40example.com:p%40ss@smtp.example.com:2525?starttls=required',
      EMAIL_ADDRESS: 'Support@Example.com',
    });
    const mailbox = config?.mailboxes[0];
    expect(mailbox).toMatchObject({ address: 'support@example.com', team: 'support@example.com', folder: 'INBOX' });
    expect(mailbox?.imap).toMatchObject({ host: 'imap.example.com', port: 993, secure: true, user: 'support@example.com', pass: 'p@ss' });
    expect(mailbox?.smtp).toMatchObject({ port: 2525, secure: false, starttls: 'required', display: 'support@example.com@smtp.example.com:2525' });
    const bad = await openChannel(emailChannel, { EMAIL_IMAP_URL: 'http://u:hunter2@x', EMAIL_SMTP_URL: 'smtp://x', EMAIL_ADDRESS: 'a@b.co' });
    expect(bad).toEqual({ off: expect.stringContaining('EMAIL_IMAP_URL must start with imap:// or imaps://') });
    expect(JSON.stringify(bad)).not.toContain('hunter2');
  });

  it('reads several mailboxes from EMAIL_MAILBOXES and says what is wrong where', () => {
    const config = loadEmailConfig({
      EMAIL_MAILBOXES: JSON.stringify([
        { address: 'sales@example.com', team: 'sales', imapUrl: 'imap://u:p@h', smtpUrl: 'smtp://u:p@h' },
        { address: 'help@example.com', imapUrl: 'imap://u:p@h', smtpUrl: 'smtp://u:p@h', moveTo: 'Done' },
      ]),
    });
    expect(config?.mailboxes.map((m) => [m.name, m.team, m.moveTo])).toEqual([
      ['sales@example.com', 'sales', undefined],
      ['help@example.com', 'help@example.com', 'Done'],
    ]);
    expect(() => loadEmailConfig({ EMAIL_MAILBOXES: '[{"address":"a@b.co"}]' })).toThrow(/EMAIL_MAILBOXES: \[0\.imapUrl\]/);
  });
});

describe('IMAP UID sets', () => {
  it('compresses sorted UIDs into ranges', () => {
    expect(uidSet([1, 2, 3, 5, 7, 8, 9, 12])).toBe('1:3,5,7:9,12');
    expect(uidSet([4])).toBe('4');
  });
});
