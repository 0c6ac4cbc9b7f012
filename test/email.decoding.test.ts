import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutBoundaryPadding } from '../channels/email/body.ts';
import { latin1Captures, latin1Test } from '../channels/email/latin1.ts';
import { decodeMail, type ParseContext } from '../channels/email/parse.ts';
import { visibleText } from '../channels/email/quotes.ts';
import { MailFileStore } from '../channels/email/store.ts';
import { normalizeEmail } from '../src/core/address.ts';
import type { InboundMessage } from '../src/core/message.ts';
import { composeRaw } from './support/mail.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-mail-decoding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const context: ParseContext = {
  channel: 'email',
  mailbox: { name: 'support', team: 'support', folder: 'INBOX' },
  ownAddresses: new Set(['support@example.com']),
  tokenPrefix: 'PRL',
  threadWindowMs: 86_400_000,
  attachmentMaxBytes: 1_000_000,
  store: new MailFileStore(dir),
};

async function message(source: Buffer | string): Promise<InboundMessage> {
  const decoded = await decodeMail(Buffer.from(source), context);
  if (decoded.kind !== 'message') throw new Error(`expected a message, got ${decoded.kind}`);
  return decoded.message;
}

const reply = (text: string) => visibleText(text, text, 'Re: Order 42');

describe('quoted history in replies', () => {
  it.each([
    ['en, Gmail wrapped', 'Yes please.\n\nOn Mon, Nov 16, 2026 at 10:00 AM Support <support@example.com>\nwrote:\n> Do you want a refund?\n'],
    ['de', 'Ja, bitte.\n\nAm 16.11.2026 um 10:00 schrieb Support <support@example.com>:\n> Möchten Sie eine Erstattung?\n'],
    ['fr', 'Oui, merci.\n\nLe lun. 16 nov. 2026 à 10:00, Support <support@example.com> a écrit :\n> Voulez-vous un remboursement ?\n'],
    ['es', 'Sí, por favor.\n\nEl lun, 16 nov 2026 a las 10:00, Support (<support@example.com>) escribió:\n> ¿Quiere un reembolso?\n'],
    ['ru', 'Да, пожалуйста.\n\n16.11.2026, 10:00, Support <support@example.com> написал:\n> Хотите возврат?\n'],
    ['fa', 'بله لطفاً.\n\nدر تاریخ ۲۵ آبان ۱۴۰۵، پشتیبانی <support@example.com> نوشت:\n> بازپرداخت می‌خواهید؟\n'],
    ['ar, verb before the name', 'نعم من فضلك.\n\nفي الاثنين، ١٦ نوفمبر ٢٠٢٦، كتب الدعم <support@example.com>:\n> هل تريد استرداد المبلغ؟\n'],
    ['ar, verb at the end', 'نعم من فضلك.\n\nفي ١٦/١١/٢٠٢٦، الدعم <support@example.com> كتب:\n> هل تريد استرداد المبلغ؟\n'],
  ])('drops the history under a localized attribution line (%s)', (_, text) => {
    expect(reply(text)).toBe(text.split('\n')[0]);
  });

  it('reads Outlook\'s "-----Original Message-----" (and its translations) as a reply, not a forward', () => {
    expect(reply('Thanks, that works.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: Order 42\n\nTry again.\n')).toBe(
      'Thanks, that works.',
    );
    expect(reply('Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Montag\nBetreff: Bestellung\n\nBitte erneut.\n')).toBe('Danke.');
  });

  it("reads Outlook's header block without a separator, in English and German", () => {
    expect(
      reply('Done.\n\nFrom: Support <support@example.com>\nSent: Monday, November 16, 2026 10:00 AM\nTo: Sara\nSubject: Order 42\n\nPlease confirm.\n'),
    ).toBe('Done.');
    expect(
      reply('Erledigt.\n\nVon: Support <support@example.com>\nGesendet: Montag, 16. November 2026 10:00\nAn: Sara\nBetreff: Bestellung\n\nBitte bestätigen.\n'),
    ).toBe('Erledigt.');
  });

  it('takes the text under the quote of a bottom-post (Thunderbird), and the unquoted lines of an interleaved reply', () => {
    expect(reply('On 16/11/2026 10:00, Support wrote:\n> Which size?\n> And which colour?\n\nSize 42, blue.\n')).toBe('Size 42, blue.');
    expect(reply('> Which size?\nSize 42.\n> Which colour?\nBlue.\n')).toBe('Size 42.\nBlue.');
  });

  it('keeps a forward whole, with or without a Fwd: subject', () => {
    const forward = 'See below.\n\n---------- Forwarded message ---------\nFrom: Shop <shop@example.net>\nSubject: Invoice\n\nYour invoice.\n';
    expect(visibleText(forward, forward, 'Invoice')).toBe(forward.trim());
    expect(visibleText('Look:\n\n> quoted\n', 'Look:\n\n> quoted\n', 'Fwd: Invoice')).toBe('Look:\n\n> quoted');
  });

  it('removes a signature after a very long line (an HTML part converted without wrapping) and keeps the line whole', () => {
    const line = 'Order 42 '.repeat(100_000).trim();
    expect(reply(`${line}\n\n-- \nAli Rezaei\nExample Shop\n`)).toBe(line);
    expect(reply(`Thanks.\n${line}`)).toBe(`Thanks.\n${line}`);
  });
});

describe('legacy encodings and broken structure', () => {
  it('decodes UTF-7 bodies and UTF-7 encoded-word subjects', async () => {
    const m = await message(
      [
        'From: old-client@example.org',
        'To: support@example.com',
        'Subject: =?utf-7?Q?Bestellung_f+APw-r_J+APY-rg?= und =?utf-8?B?2LPZhNin2YU=?=',
        'Message-ID: <utf7@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-7',
        '',
        'Gr+APw-+AN8-e, die Lieferung ist nicht angekommen. +BkMGJwYo-',
        '',
      ].join('\r\n'),
    );
    expect(m.subject).toBe('Bestellung für Jörg und سلام');
    expect(m.text).toBe('Grüße, die Lieferung ist nicht angekommen. كاب');
  });

  it('extracts uuencoded files from a text body and keeps the text around them', async () => {
    const m = await message(
      [
        'From: unix@example.org',
        'To: support@example.com',
        'Subject: Log file',
        'Message-ID: <uu@example.org>',
        '',
        'The log is attached.',
        '',
        'begin 644 hello.txt',
        ',:&5L;&\\@=V]R;&0*',
        '`',
        'end',
        '',
      ].join('\r\n'),
    );
    expect(m.text).toBe('The log is attached.');
    expect(m.attachments).toEqual([expect.objectContaining({ fileName: 'hello.txt', size: 12, mimeType: 'application/octet-stream' })]);
  });

  it('repairs a multipart/related whose header lost its boundary instead of storing raw MIME', async () => {
    const m = await message(
      [
        'From: newsletter-tool@example.org',
        'To: support@example.com',
        'Subject: Photo of the damage',
        'Message-ID: <related@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/related',
        '',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>The box arrived <b>broken</b>.</p><img src="cid:photo">',
        '--b1',
        'Content-Type: image/png',
        'Content-ID: <photo>',
        'Content-Transfer-Encoding: base64',
        '',
        'iVBORw0KGgo=',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    expect(m.text).toBe('The box arrived broken.');
    expect(m.attachments).toEqual([expect.objectContaining({ mimeType: 'image/png', size: 8 })]);
  });

  it('gives a multipart/digest the text of its messages', async () => {
    const m = await message(
      [
        'From: list-digest@example.org',
        'To: support@example.com',
        'Subject: Digest',
        'Message-ID: <digest@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/digest; boundary="d"',
        '',
        '--d',
        '',
        'From: a@example.org',
        'Subject: First',
        '',
        'First body',
        '--d',
        '',
        'From: b@example.org',
        'Subject: Second',
        '',
        'Second body',
        '--d--',
        '',
      ].join('\r\n'),
    );
    expect(m.text).toBe('From: a@example.org\nSubject: First\n\nFirst body\nFrom: b@example.org\nSubject: Second\n\nSecond body');
  });

  it('accepts internationalised addresses (RFC 6532, SMTPUTF8)', async () => {
    const m = await message(
      Buffer.from(
        'From: =?utf-8?Q?J=C3=B6rg?= <jörg@bücher.example>\r\nTo: support@example.com\r\nSubject: Hallo\r\nMessage-ID: <i18n@example.org>\r\n\r\nHallo\r\n',
      ),
    );
    expect(m.sender).toEqual({ address: 'jörg@bücher.example', addressKind: 'email', displayName: 'Jörg' });
    // The core keeps the address as the customer's identity; a broken one is still refused.
    expect(normalizeEmail('Jörg@Bücher.example')).toBe('jörg@bücher.example');
    expect(normalizeEmail('علی@مثال.ایران')).toBe('علی@مثال.ایران');
    expect(() => normalizeEmail('jörg@bücher')).toThrow('"jörg@bücher" is not an email address');
  });
});

describe('scanning large mail in windows', () => {
  it('finds a pattern and a boundary that straddle a window edge, and repairs a padded boundary far into a large mail', () => {
    const filler = 'A'.repeat(64 * 1024 - 6);
    const source = Buffer.from(`${filler}boundary="edge-1"\r\n${'B'.repeat(200_000)}charset=utf-7\r\n`, 'latin1');
    expect([...latin1Captures(source, /boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;]+))/gi)]).toEqual(['edge-1']);
    expect(latin1Test(source, /charset\s*=\s*utf-7/i)).toBe(true);
    expect(latin1Test(source, /x-uuencode/i)).toBe(false);

    const padded = Buffer.from(
      `Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n${'line\r\n'.repeat(40_000)}--b1 \t\r\nContent-Type: text/plain\r\n\r\nlast part\r\n--b1--\r\n`,
      'latin1',
    );
    const repaired = withoutBoundaryPadding(padded).toString('latin1');
    expect(repaired).toContain('\r\n--b1\r\nContent-Type: text/plain\r\n\r\nlast part');
    expect(repaired.length).toBe(padded.length - 2);
  });
});

describe('automatic mail', () => {
  const withSubject = async (subject: string, headers: Record<string, string> = {}) =>
    message(
      await composeRaw({ from: 'someone@example.org', to: 'support@example.com', subject, text: 'x', messageId: `<${Math.random()}@example.org>`, headers }),
    );

  it.each([
    ['Automatic reply: Order 42'],
    ['Out of Office: Order 42'],
    ['Automatische Antwort: Bestellung'],
    ['Réponse automatique : Commande'],
    ['Respuesta automática: Pedido'],
    ['Автоматический ответ: Заказ'],
    ['پاسخ خودکار: سفارش'],
    ['رد تلقائي: الطلب'],
    ['תשובה אוטומטית: הזמנה'],
    ['Read: Order 42'],
  ])('marks "%s" automated', async (subject) => {
    expect((await withSubject(subject)).automated).toBe(true);
  });

  it.each([
    ['X-Auto-Response-Suppress', 'All'],
    ['X-Apple-Action', 'VACATION'],
    ['X-Autoreply', 'yes'],
    ['X-Autorespond', 'vacation'],
    ['Precedence', 'auto_reply'],
  ])('marks mail with %s: %s automated', async (name, value) => {
    const m = await withSubject('Order 42', { [name]: value });
    expect(m.automated).toBe(true);
    expect(m.metadata?.automatedReason).toBe(`${name.toLowerCase()}: ${value.toLowerCase()}`);
  });

  it("leaves a person's mail about an out-of-office unmarked", async () => {
    expect((await withSubject('Re: Out of office? I need help today')).automated).toBe(false);
  });
});
