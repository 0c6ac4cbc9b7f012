import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAdmin } from './admin.ts';
import { registerCanned } from './canned.ts';
import { registerChat } from './chat.ts';
import { registerConversations, registerCustomers } from './crm.ts';
import { registerFlows } from './flows.ts';
import { registerRouting } from './routing.ts';
import { registerStart } from './start.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('parley')
  .description('Parley: an omnichannel helpdesk bot (WhatsApp, email, SMS, web chat in; Slack agents out)')
  .version(version)
  .showHelpAfterError();

registerStart(program);
registerChat(program);
registerAdmin(program);
registerCustomers(program);
registerConversations(program);
registerFlows(program);
registerCanned(program);
registerRouting(program);

await program.parseAsync(process.argv);
