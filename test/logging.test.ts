import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { dialectOf } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('logs and configuration errors', () => {
  it('redact credentials wherever they appear in a log entry', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer top-secret', cookie: 'session=abc123' } },
        token: 'xoxb-1',
        slack: { token: 'xoxb-2' },
        openai: { apiKey: 'sk-3' },
      },
      'request',
    );
    const text = lines.join('');
    for (const secret of ['top-secret', 'abc123', 'xoxb-1', 'xoxb-2', 'sk-3']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('keep message bodies out of logs above debug', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.debug({ text: 'my card is 6037-9912-3456-7890' }, 'inbound: message');
    expect(lines).toEqual([]);
  });

  it('name every bad setting and never echo a secret value', () => {
    try {
      loadConfig({ DATABASE_URL: '', PORT: 'eighty', PARLEY_DEFAULT_REGION: 'Iran', PARLEY_RATE_LIMITS: 'whatsapp=fast' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('PORT="eighty"');
      expect(message).toContain('PARLEY_DEFAULT_REGION="Iran": "Iran" is not an ISO 3166 country code');
      expect(message).toContain('PARLEY_RATE_LIMITS="whatsapp=fast": "fast" is not a rate');
    }
    expect(() => dialectOf('mysql://root:hunter2@db/parley')).toThrow('DATABASE_URL "mysql://root:***@db/parley" is not supported');
  });
});
