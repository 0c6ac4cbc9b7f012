/**
 * Customer text inside Slack mrkdwn. Slack reads `&`, `<` and `>` as control characters
 * (`<@U123>`, `<!channel>`, `<url|label>`): escaped, customer text can never mention anyone
 * or forge a link. Persian and Arabic text passes through unchanged.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link whose label is customer text. */
export function link(url: string, label: string): string {
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

/** A time every reader sees in their own time zone. */
export function slackDate(at: Date, format = '{date_short_pretty} {time}'): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^${format}|${at.toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
