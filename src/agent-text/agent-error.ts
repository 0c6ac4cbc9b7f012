import { UserError } from '../core/errors.ts';
import type { AgentText } from './agent-text.ts';
import { catalogs, type MessageKey } from './catalog.ts';
import { fillTemplate } from './fill-template.ts';

type Values = Readonly<Record<string, string | number>>;

/**
 * A user error agents may read (in Slack): it carries its catalog key and values, so the edge
 * that shows it renders it in the agent's locale; the message stays English for logs, the API
 * and the CLI. It loads no calendar code: the CLI's --help reaches it through the canned responses.
 */
export class AgentFacingError extends UserError {
  constructor(
    readonly key: MessageKey,
    readonly values: Values = {},
    statusCode = 400,
  ) {
    super(fillTemplate(catalogs.en[key], values), statusCode);
    this.name = 'AgentFacingError';
  }
}

/** What an agent reads for a thrown error: a known one in their locale, any other by its message. */
export function agentErrorText(text: AgentText, error: unknown): string {
  if (error instanceof AgentFacingError) return text.t(error.key, error.values);
  return error instanceof Error ? error.message : String(error);
}
