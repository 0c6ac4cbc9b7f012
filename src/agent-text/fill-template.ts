/** A catalog text with its {{placeholders}} filled; numbers written by `digits`; unknown ones left as they are. */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string | number>>,
  digits: (number: string) => string = (number) => number,
): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? digits(String(value)) : value;
  });
}
