/**
 * The few vCard fields an agent needs from a shared contact (RFC 6350): the formatted name,
 * phone numbers (with WhatsApp's `waid` parameter) and emails. Line folding is undone; other
 * properties are left in the raw card kept in the message metadata.
 */
export interface VCardSummary {
  readonly name: string | undefined;
  readonly phones: readonly { readonly number: string; readonly type: string | undefined }[];
  readonly emails: readonly string[];
}

const unescape = (value: string) => value.replace(/\\([,;\\])/g, '$1').replace(/\\n/gi, ' ');

export function parseVCard(card: string): VCardSummary {
  const lines = card.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  let name: string | undefined;
  const phones: { number: string; type: string | undefined }[] = [];
  const emails: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const [property = '', ...params] = line.slice(0, colon).split(';');
    const value = unescape(line.slice(colon + 1).trim());
    const key = property.replace(/^item\d+\./i, '').toUpperCase();
    if (key === 'FN' && value) name = value;
    else if (key === 'N' && !name && value.replace(/;/g, '')) name = value.split(';').filter(Boolean).reverse().join(' ');
    else if (key === 'TEL' && value) {
      const type = params.find((p) => /^type=/i.test(p))?.replace(/^type=/i, '');
      phones.push({ number: value, type });
    } else if (key === 'EMAIL' && value) emails.push(value);
  }
  return { name, phones, emails };
}

/** "Contact card: Sara Ahmadi, +98 912 123 4567 (CELL), sara@example.com", one line per card. */
export function vCardsText(cards: readonly string[]): string {
  return cards
    .map(parseVCard)
    .map((c) => `Contact card: ${[c.name ?? 'no name', ...c.phones.map((p) => `${p.number}${p.type ? ` (${p.type})` : ''}`), ...c.emails].join(', ')}`)
    .join('\n');
}
