import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  readonly envelope: { from: string; to: string[] };
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
}

export interface SmtpCapture {
  readonly port: number;
  readonly mails: CapturedMail[];
  /** Answers the next RCPT TO with this SMTP error (e.g. 550), once. */
  rejectNext(code: number, message: string): void;
  url(): string;
  stop(): Promise<void>;
}

/** A capturing SMTP server on loopback (the `smtp-server` package). */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const mails: CapturedMail[] = [];
  let rejection: { code: number; message: string } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (rejection) {
        const error = Object.assign(new Error(rejection.message), { responseCode: rejection.code });
        rejection = undefined;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        mails.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw,
          parsed: await simpleParser(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    mails,
    rejectNext(code, message) {
      rejection = { code, message };
    },
    url: () => `smtp://127.0.0.1:${port}?starttls=off`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
