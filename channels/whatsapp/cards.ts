import { z } from 'zod';

/**
 * Shared contact cards and catalog orders as text an agent can read (and the structured form
 * kept in the message's metadata). Shapes from Meta's webhook reference:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/order
 */

/** Meta documents some numbers as strings ("<QUANTITY>"); both forms are read. */
const numeric = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'a number')
    .transform(Number),
]);

export const ContactCardSchema = z.object({
  name: z.object({ formatted_name: z.string().optional(), first_name: z.string().optional(), last_name: z.string().optional() }).partial().optional(),
  phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional(), type: z.string().optional() })).optional(),
  emails: z.array(z.object({ email: z.string().optional(), type: z.string().optional() })).optional(),
  org: z.object({ company: z.string().optional(), title: z.string().optional() }).partial().optional(),
  urls: z.array(z.object({ url: z.string().optional(), type: z.string().optional() })).optional(),
});
export type ContactCard = z.infer<typeof ContactCardSchema>;

export const OrderSchema = z.object({
  catalog_id: z.string().optional(),
  text: z.string().optional(),
  product_items: z.array(z.object({ product_retailer_id: z.string(), quantity: numeric, item_price: numeric.optional(), currency: z.string().optional() })),
});
export type Order = z.infer<typeof OrderSchema>;

const nameOf = (card: ContactCard): string =>
  card.name?.formatted_name || [card.name?.first_name, card.name?.last_name].filter(Boolean).join(' ') || card.org?.company || 'no name';

/** One line per card: "Contact card: Chandler Bing, +1 555-555-5555 (CELL), chandler@example.com". */
export function contactCardsText(cards: readonly ContactCard[]): string {
  return cards
    .map((card) => {
      const details = [
        ...(card.phones ?? []).map((p) => `${p.phone ?? (p.wa_id ? `+${p.wa_id}` : '')}${p.type ? ` (${p.type})` : ''}`),
        ...(card.emails ?? []).map((e) => e.email ?? ''),
        ...(card.org?.company ? [card.org.company] : []),
      ].filter(Boolean);
      return `Contact card: ${[nameOf(card), ...details].join(', ')}`;
    })
    .join('\n');
}

/** "Order: 3 × HAMBURGER at 30 ILS, ...; total 175 ILS" (a total only when every item has a price in one currency). */
export function orderText(order: Order): string {
  const items = order.product_items.map(
    (i) => `${i.quantity} × ${i.product_retailer_id}${i.item_price !== undefined ? ` at ${i.item_price}${i.currency ? ` ${i.currency}` : ''}` : ''}`,
  );
  const currencies = new Set(order.product_items.map((i) => i.currency));
  const priced = order.product_items.every((i) => i.item_price !== undefined);
  const total = priced && currencies.size === 1 ? order.product_items.reduce((sum, i) => sum + (i.item_price ?? 0) * i.quantity, 0) : undefined;
  const [currency] = currencies;
  const lines = [
    `Order${order.catalog_id ? ` (catalog ${order.catalog_id})` : ''}: ${items.join(', ')}${total !== undefined ? `; total ${total}${currency ? ` ${currency}` : ''}` : ''}`,
  ];
  if (order.text) lines.push(order.text);
  return lines.join('\n');
}
