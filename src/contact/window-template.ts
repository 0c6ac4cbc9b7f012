import type { OutboundMessage } from '../core/message.ts';
import type { Database } from '../db/database.ts';
import type { TemplateRegistry, TemplateResult } from './templates.ts';

interface TemplateCustomer {
  readonly name: string | null;
  readonly attributes: unknown;
}

/**
 * A template's variable values: the customer's name (customer_name) and their text or number
 * attributes, the message text (`text`) and the agent (`agent_name`).
 */
export function templateValues(
  customer: TemplateCustomer | null | undefined,
  message: { readonly text?: string; readonly agentName?: string },
): Record<string, string | undefined> {
  const attributes = Object.fromEntries(
    Object.entries((customer?.attributes ?? {}) as Record<string, unknown>).flatMap(([k, v]) =>
      typeof v === 'string' || typeof v === 'number' ? [[k, String(v)]] : [],
    ),
  );
  return { ...attributes, customer_name: customer?.name ?? undefined, text: message.text, agent_name: message.agentName };
}

/**
 * The registry's template for a message a channel cannot send as it is (WhatsApp outside the
 * 24-hour window): by the message's purpose (default "reply"), in the customer's language,
 * its variables filled by `templateValues`. Undefined without a templates file.
 */
export async function windowTemplate(
  db: Database,
  registry: TemplateRegistry | undefined,
  message: OutboundMessage,
  defaultLocale: string,
): Promise<TemplateResult | undefined> {
  if (!registry) return undefined;
  const conversation = await db.prisma.conversation.findUnique({
    where: { id: message.conversationId },
    select: { customer: { select: { name: true, locale: true, attributes: true } } },
  });
  const customer = conversation?.customer;
  return registry.resolve(
    message.content.purpose ?? 'reply',
    customer?.locale ?? defaultLocale,
    templateValues(customer, { text: message.content.text, agentName: message.authorName }),
  );
}
