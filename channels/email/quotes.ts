import EmailReplyParser from 'email-reply-parser';

const replyParser = new EmailReplyParser();

/**
 * Verbs that end an attribution line ("On <date>, <name> wrote:") in the languages Parley serves
 * and the clients' own translations: en, de, fr, es, pt, it, nl, ru, pl, fa, ar, he, sv.
 */
const ATTRIBUTION_VERB =
  /(?:wrote|writes|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|написал(?:а|\(а\))?|пишет|napisał(?:a)?|نوشت|نوشته است|كتب|کتب|כתב(?:\/ה|ה)?|skrev)\s*[:：]\s*$/iu;

/** Arabic and Hebrew clients (Gmail among them) put the verb before the name: "في ...، كتب Name <a@b>:". */
const VERB_FIRST_ATTRIBUTION = /^\s*(?:في|On|ב-?|בתאריך)\s.{0,150}\s(?:كتب|کتب|כתב(?:\/ה|ה)?)\s.{0,150}[:：]\s*$/u;

/** Outlook/AOL/Yahoo/Comcast separators: these start a quoted reply, not a forward. */
const ORIGINAL_SEPARATOR =
  /^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Исходное сообщение|Оригинальное сообщение|پیام اصلی|الرسالة الأصلية|הודעה מקורית)\s*-{2,}\s*$/iu;

/** The first line of Outlook's header block ("From: ... / Sent: ... / Subject: ..."), localized. */
const OUTLOOK_FROM = /^\s*\*?(?:From|De|Von|От|Van|Da|Från|از|من|מאת)\s*\*?\s*:/iu;
const OUTLOOK_SENT =
  /^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado(?: el)?|Fecha|Inviato|Verzonden|Отправлено|Дата|Skickat|تاریخ|ارسال شده|التاريخ|أرسلت|נשלח|תאריך)\s*\*?\s*:/iu;
const OUTLOOK_SUBJECT = /^\s*\*?(?:Subject|Betreff|Objet|Asunto|Oggetto|Onderwerp|Тема|Ämne|موضوع|الموضوع|נושא)\s*\*?\s*:/iu;

/** Markers of a forward: the whole mail is what the customer wants to show. */
const FORWARDED =
  /^\s*(?:-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Messaggio inoltrato|Пересылаемое сообщение|پیام ارسال شده|پیام فوروارد شده|رسالة معاد توجيهها)\s*-{2,}|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réenvoyé :)/imu;
const FORWARD_SUBJECT = /^\s*(?:fw|fwd|wg|tr|enc|rv|ارسال|فوروارد|توجيه)\s*:/iu;

const isQuoted = (line: string) => /^\s*>/.test(line);

/**
 * Every quote header below has a colon (attribution lines, Outlook's block) or a run of dashes or
 * underscores (separators); an attribution wrapped onto the next line has its colon there. Most
 * lines have none of them and skip the regexes (unanchored Unicode patterns, costly per line).
 */
const MAY_START_HEADER = /[:：]|--|__/;
const HAS_COLON = /[:：]/;

/** Where the quoted history starts: how many lines the header takes, or undefined. */
function quoteHeaderAt(lines: readonly string[], i: number): number | undefined {
  const line = lines[i] as string;
  if (!MAY_START_HEADER.test(line) && !HAS_COLON.test(lines[i + 1] ?? '')) return undefined;
  if (ORIGINAL_SEPARATOR.test(line)) return 1;
  // "________________________________" above an Outlook header block (Outlook on the web).
  if (/^\s*_{10,}\s*$/.test(line) && OUTLOOK_FROM.test(lines[i + 1] ?? '')) return 1;
  if (OUTLOOK_FROM.test(line)) {
    const next = lines.slice(i + 1, i + 6);
    if (next.some((l) => OUTLOOK_SENT.test(l)) && next.some((l) => OUTLOOK_SUBJECT.test(l))) return 1;
  }
  if (line.length <= 300 && (ATTRIBUTION_VERB.test(line) || VERB_FIRST_ATTRIBUTION.test(line))) return 1;
  // Attribution lines that the client wrapped: "On Mon, ..., Name <a@b>\nwrote:".
  const joined = `${line} ${lines[i + 1] ?? ''}`;
  if (line.trim() && !isQuoted(lines[i + 1] ?? '') && joined.length <= 300 && ATTRIBUTION_VERB.test(joined) && /\d|@/.test(line)) return 2;
  return undefined;
}

/**
 * Signature and client footers ("-- ", "Sent from my iPhone") removed by email-reply-parser, from
 * the last lines only: signatures end a mail, and the parser allocates per line and reverses each
 * line character by character (a 1 MB body took 0.8 s in it; one 1 MB line from an HTML part
 * converted without wrapping took 9 s). So at most the last 60 lines and 8,000 characters.
 */
const SIGNATURE_LINES = 60;
const SIGNATURE_CHARS = 8_000;
function withoutSignature(text: string): string {
  const lines = text.split('\n');
  let start = lines.length;
  for (let chars = 0; start > 0 && lines.length - start < SIGNATURE_LINES; start--) {
    chars += (lines[start - 1] as string).length + 1;
    if (chars > SIGNATURE_CHARS) break;
  }
  if (start === lines.length) return text.trim();
  const head = lines.slice(0, start).join('\n');
  const tail = replyParser.parseReply(`${lines.slice(start).join('\n')}\n`).trim();
  return (head ? `${head}\n${tail}` : tail).trim() || text.trim();
}

/** The first line with text that follows a quoted line, or -1. */
function afterQuotedBlock(lines: readonly string[]): number {
  let quoted = false;
  for (const [i, line] of lines.entries()) {
    if (isQuoted(line)) quoted = true;
    else if (quoted && line.trim() !== '') return i;
  }
  return -1;
}

/** Keeps what is not quoted with ">". */
const unquoted = (lines: readonly string[]) => lines.filter((l) => !isQuoted(l)).join('\n');

/**
 * What the customer wrote this time. Top-posting: the text above the first quote header.
 * Bottom-posting (Thunderbird's option, mailing-list style): the text below the quoted block.
 * Interleaved: the unquoted lines. Signatures are removed; a forward is kept whole; text that
 * would come out empty is kept whole.
 */
export function visibleText(full: string, withoutHtmlQuotes: string, subject: string | undefined): string {
  const normalized = full.replace(/\r\n/g, '\n');
  if (FORWARD_SUBJECT.test(subject ?? '') || FORWARDED.test(normalized)) return normalized.trim();
  const lines = withoutHtmlQuotes.replace(/\r\n/g, '\n').split('\n');
  let header: { at: number; size: number } | undefined;
  for (let i = 0; i < lines.length && !header; i++) {
    if (isQuoted(lines[i] as string)) continue;
    const size = quoteHeaderAt(lines, i);
    if (size !== undefined) header = { at: i, size };
  }
  let visible: string;
  if (!header) visible = unquoted(lines);
  else {
    const above = unquoted(lines.slice(0, header.at));
    if (above.trim()) visible = above;
    else {
      // Nothing above the attribution: a bottom-post. The reply follows the quoted block.
      const after = lines.slice(header.at + header.size);
      const quoteEnd = afterQuotedBlock(after);
      visible = quoteEnd >= 0 ? unquoted(after.slice(quoteEnd)) : '';
    }
  }
  const result = visible.trim() ? withoutSignature(visible) : '';
  return result || normalized.trim();
}
