const cell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180 CSV: the first row is the header; a cell with a comma, quote or line break is quoted. */
export const toCsv = (rows: readonly (readonly string[])[]): string => `${rows.map((r) => r.map(cell).join(',')).join('\n')}\n`;
