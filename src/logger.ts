import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);

export type { Logger };

/** Field paths that may carry credentials: pino replaces them before anything is written. */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-slack-signature"]',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'databaseUrl',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly format?: 'pretty' | 'json';
  /** 1 = stdout (servers), 2 = stderr (commands whose stdout is their output). */
  readonly fd?: 1 | 2;
  /** Write JSON lines here instead (tests). */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 1;
  const stream = fd === 1 ? process.stdout : process.stderr;
  const format = options.format ?? (stream.isTTY ? 'pretty' : 'json');
  const base = { level: options.level ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'parley' } };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  if (format === 'pretty') {
    // Only a terminal's logs are pretty: JSON logs (a service, a pipe) never load the formatter.
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(base, pretty({ colorize: Boolean(stream.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app', destination: fd, sync: true }));
  }
  return pino(base, pino.destination({ fd, sync: fd === 2 }));
}
