// Child of bench/email.bench.ts: decodes one mail file in a fresh process and prints its RSS
// before (the raw mail already read) and the peak while decoding, as JSON.
// Usage: node bin/run-ts.js bench/email/decode-memory.ts <parley|simpleParser> <mail.eml> <store dir>
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { simpleParser } from 'mailparser';
import { corpusContext } from '../../channels/email/corpus.ts';
import { decodeMail } from '../../channels/email/parse.ts';
import { MailFileStore } from '../../channels/email/store.ts';

const [mode, file, storeDir] = process.argv.slice(2);
if ((mode !== 'parley' && mode !== 'simpleParser') || !file || !storeDir) {
  console.error('usage: decode-memory.ts <parley|simpleParser> <mail.eml> <store dir>');
  process.exit(2);
}
const source = readFileSync(file);
// Every size measured is stored, none refused as over the limit.
const context = { ...corpusContext(new MailFileStore(storeDir)), attachmentMaxBytes: 1024 * 1024 * 1024 };
// Warm up the code paths on a small mail, so loading modules is not counted as decoding.
const warmUp = Buffer.from('From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\nMessage-ID: <warm@example.org>\r\n\r\nhello\r\n');
await (mode === 'parley' ? decodeMail(warmUp, context) : simpleParser(warmUp));
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();
const before = process.memoryUsage.rss();
let peak = before;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 2);
await (mode === 'parley' ? decodeMail(source, context) : simpleParser(source));
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage.rss());
console.log(JSON.stringify({ before, peak }));
