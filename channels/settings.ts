/** Reads a positive whole number from a channel setting, or says which variable is wrong. */
export function positiveIntSetting(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}="${raw}" is not a positive whole number`);
  return value;
}
