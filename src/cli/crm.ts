import { type Command, Option } from 'commander';
import type { SuggestionStatus } from '../crm/suggestions.ts';
import type { Taggable } from '../crm/tags.ts';
import type { Database } from '../db/database.ts';
import { ConversationStatus } from '../generated/sqlite/enums.ts';
import { integerBetween } from './arguments.ts';

// The commands' code loads when one runs: `--help` and the other commands never load it.
const deps = () => import('./crm-actions.ts');

export function registerCustomers(program: Command): void {
  const customers = program.command('customers').description('Find, show and merge customer records');

  customers
    .command('search <query>')
    .description('Search by name, phone number (any format or digits) or email')
    .option('--json', 'print JSON')
    .action(async (query: string, options: { json?: boolean }) => {
      const { agentTextOf, searchCustomers, printJson, withDatabase, unreadPhoneReason } = await deps();
      return withDatabase(async (db, config) => {
        const found = await searchCustomers(db, query, { defaultRegion: config.PARLEY_DEFAULT_REGION });
        if (options.json) return printJson(found);
        const text = agentTextOf(config);
        if (found.length === 0) {
          const why = unreadPhoneReason(query, config.PARLEY_DEFAULT_REGION);
          return void process.stdout.write(`${why ? text.t('cli.customers.none_because', { reason: why }) : text.t('cli.customers.none')}\n`);
        }
        for (const c of found) {
          process.stdout.write(
            `${c.id}  ${c.name ?? text.t('cli.customer.no_name')}${c.isKey ? ' ★' : ''}  ${c.identities.map((i) => `${i.channel}:${i.address}`).join(', ')}\n`,
          );
        }
      });
    });

  customers
    .command('show <id>')
    .description("The customer's 360: identities, stage, key and churn, open tickets, conversations, the last transcript")
    .option('--json', 'print the whole record as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { agentTextOf, customer360, formatCustomer360, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const record = await customer360(db, id);
        if (options.json) return printJson(record);
        process.stdout.write(formatCustomer360(record, agentTextOf(config)));
      });
    });

  customers
    .command('merge <keepId> <mergeId>')
    .description('Merge customer <mergeId> into <keepId> (identities, conversations, tickets and attributes move; undo with unmerge)')
    .option('--json', 'print JSON')
    .action(async (keepId: string, mergeId: string, options: { json?: boolean }) => {
      const { agentTextOf, listMerges, mergeCustomers, formatMerge, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const result = await mergeCustomers(db, keepId, mergeId, 'cli');
        if (options.json) return printJson(result);
        const [record] = await listMerges(db, { customerId: keepId, limit: 1 });
        const text = agentTextOf(config);
        if (record) process.stdout.write(`${formatMerge(record, text)}\n${text.t('cli.merge.undo_with', { merge: record.id })}\n`);
      });
    });

  customers
    .command('unmerge <mergeId>')
    .description('Undo a merge: identities, conversations, tickets and attributes go back to the two records')
    .action(async (mergeId: string) => {
      const { agentTextOf, unmerge, formatMerge, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        process.stdout.write(`${formatMerge(await unmerge(db, mergeId, 'cli'), agentTextOf(config))}\n`);
      });
    });

  customers
    .command('merges')
    .description('Merges, newest first: who, when, what moved, the conflicts')
    .option('--customer <id>', 'only merges of this customer')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .option('--json', 'print JSON')
    .action(async (options: { customer?: string; limit: number; json?: boolean }) => {
      const { agentTextOf, listMerges, formatMerge, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const merges = await listMerges(db, { customerId: options.customer, limit: options.limit });
        if (options.json) return printJson(merges);
        const text = agentTextOf(config);
        if (merges.length === 0) return void process.stdout.write(`${text.t('cli.merge.none')}\n`);
        process.stdout.write(`${merges.map((m) => formatMerge(m, text)).join('\n')}\n`);
      });
    });

  customers
    .command('suggestions')
    .description('Records that look like one person (same email, or a phone given in a flow)')
    .addOption(new Option('--status <status>', 'which ones').choices(['pending', 'accepted', 'rejected']).default('pending'))
    .option('--json', 'print JSON')
    .action(async (options: { status: SuggestionStatus; json?: boolean }) => {
      const { agentTextOf, listSuggestions, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const suggestions = await listSuggestions(db, { status: options.status });
        if (options.json) return printJson(suggestions);
        const text = agentTextOf(config);
        if (suggestions.length === 0) return void process.stdout.write(`${text.t('cli.suggestions.none', { status: options.status })}\n`);
        for (const s of suggestions) {
          process.stdout.write(
            `${s.id}  ${s.otherId} → ${s.customerId}  ${text.t('cli.suggestions.same', { matched: s.matchedBy, value: s.value })}  ${s.status}\n`,
          );
        }
      });
    });

  for (const decision of ['accept', 'reject'] as const) {
    customers
      .command(`${decision} <suggestionId>`)
      .description(decision === 'accept' ? 'Accept a merge suggestion (the newer record is merged into the older)' : 'Reject a merge suggestion')
      .action(async (suggestionId: string) => {
        const { agentTextOf, decideSuggestion, withDatabase } = await deps();
        return withDatabase(async (db, config) => {
          const { suggestion, merge } = await decideSuggestion(db, suggestionId, decision, 'cli');
          const text = agentTextOf(config);
          const merged = merge ? text.t('cli.suggestions.merged', { merge: merge.mergeId }) : '';
          process.stdout.write(`${text.t('cli.suggestions.decided', { suggestion: suggestion.id, status: suggestion.status })}${merged}\n`);
        });
      });
  }

  customers
    .command('key <id>')
    .description('Mark a key customer (or unmark with --unset), with the reason')
    .option('--unset', 'no longer a key customer')
    .option('--reason <text>', 'why (recorded with the flag)')
    .action(async (id: string, options: { unset?: boolean; reason?: string }) => {
      const { agentTextOf, setKeyCustomer, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const change = await setKeyCustomer(db, id, !options.unset, options.reason, 'cli');
        const said = agentTextOf(config).t(change.isKey ? 'cli.customers.now_key' : 'cli.customers.no_longer_key', { id, reason: change.keyReason ?? '' });
        process.stdout.write(`${said}\n`);
      });
    });

  customers
    .command('churn <id>')
    .description("A customer's churn score and what made it")
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { NotFoundError, agentTextOf, churnScore, explainChurn, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const churn = await churnScore(db, id);
        if (!churn) throw new NotFoundError(`customer ${id}`);
        if (options.json) return printJson(churn);
        process.stdout.write(`${explainChurn(churn, agentTextOf(config))}\n`);
      });
    });

  registerTagCommands(customers, 'customer', async (_db, id) => id);
}

/** `tags <id>`, `tag <id> <tags...>` and `untag <id> <tags...>` under a command group. */
function registerTagCommands(group: Command, kind: Taggable, idOf: (db: Database, handle: string) => Promise<string>): void {
  group
    .command('tags <id>')
    .description(`The tags of a ${kind}`)
    .action(async (handle: string) => {
      const { agentTextOf, listTags, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const tags = await listTags(db, kind, await idOf(db, handle));
        process.stdout.write(`${tags.length ? tags.join(', ') : agentTextOf(config).t('cli.tags.none')}\n`);
      });
    });
  for (const verb of ['tag', 'untag'] as const) {
    group
      .command(`${verb} <id> <tags...>`)
      .description(verb === 'tag' ? `Add tags to a ${kind}` : `Remove tags from a ${kind}`)
      .action(async (handle: string, tags: string[]) => {
        const { agentTextOf, changeTags, withDatabase } = await deps();
        return withDatabase(async (db, config) => {
          const after = await changeTags(db, kind, await idOf(db, handle), verb === 'tag' ? { add: tags } : { remove: tags }, 'cli');
          process.stdout.write(`${after.length ? after.join(', ') : agentTextOf(config).t('cli.tags.none')}\n`);
        });
      });
  }
}

export function registerConversations(program: Command): void {
  const conversations = program.command('conversations').description('List conversations and read their messages');

  conversations
    .command('list')
    .description('List conversations, newest first')
    .addOption(new Option('--status <status>', 'only conversations in this status').choices(Object.values(ConversationStatus)))
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .action(async (options: { status?: ConversationStatus; channel?: string; limit: number }) => {
      const { agentTextOf, listConversations, conversationRef, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const list = await listConversations(db, { status: options.status, channel: options.channel, limit: options.limit });
        const text = agentTextOf(config);
        for (const c of list) {
          // A conversation's tags (`unattended` among them) at the end of its line.
          const tags = Array.isArray(c.tags) && c.tags.length ? `  ${text.t('cli.conversations.tags', { tags: c.tags.join(', ') })}` : '';
          const last = text.t('cli.conversations.last', { at: text.dateTime(c.lastMessageAt) });
          process.stdout.write(`${conversationRef(c)}  ${c.id}  ${c.channel}  ${c.status}  ${c.customer.name ?? c.customerId}  ${last}${tags}\n`);
        }
      });
    });

  conversations
    .command('show <id>')
    .description("Print a conversation's transcript (<id>: its id or short ref)")
    .action(async (id: string) => {
      const { agentTextOf, authorLabel, renderAsText, conversationMessages, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const words = agentTextOf(config);
        for (const m of await conversationMessages(db, id, { limit: 500 })) {
          const note = m.isInternalNote ? ` ${words.t('cli.customer.note')}` : '';
          const status = m.direction === 'outbound' ? ` [${m.deliveryStatus}${m.failureReason ? `: ${m.failureReason}` : ''}]` : '';
          const text = renderAsText({ text: m.text ?? undefined, format: 'plain', attachments: [] });
          process.stdout.write(`${words.dateTime(m.createdAt)} ${authorLabel(words, m)}${note}: ${text}${status}\n`);
        }
      });
    });

  registerTagCommands(conversations, 'conversation', async (db, handle) => (await (await deps()).findConversation(db, handle)).id);
}
