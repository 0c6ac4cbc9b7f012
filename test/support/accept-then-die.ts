// Child process for the crash test: accepts one message (the provider would now get its
// 200) and dies by SIGKILL before any worker could handle it.
import { loadConfig } from '../../src/config.ts';
import { Parley } from '../../src/runtime.ts';
import { FakeAdapter, silentLogger } from './parley.ts';

const [databaseUrl, externalId] = process.argv.slice(2);
const config = loadConfig({ DATABASE_URL: databaseUrl, PARLEY_DEFAULT_REGION: 'IR' });
const parley = await Parley.open({ config, logger: silentLogger, channels: [], adapters: [new FakeAdapter()] });
const result = await parley.inbox.accept({
  channel: 'whatsapp',
  externalId: externalId as string,
  sender: { address: '09121234567', addressKind: 'phone' },
  text: 'please do not lose me',
  raw: {},
});
process.stdout.write(`${result.status}\n`);
process.kill(process.pid, 'SIGKILL');
