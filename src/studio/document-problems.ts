import { LineCounter, parseDocument } from 'yaml';
import type { InputIssue } from '../campaigns/rejected.ts';
import { MAX_ALIAS_COUNT, positionIn } from '../flows/validate.ts';

/** What is wrong in a document typed in the studio, and where: 1-based line and column of its text. */
export interface DocumentProblem {
  /** The field, dotted as the CLI prints it (`schedule.time`, `filter.churn.min`); empty for the text as a whole. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export type DocumentText = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: DocumentProblem[] };

/** A YAML or JSON text (YAML reads both): its value, or its syntax errors where they are. */
export function readDocumentText(text: string): DocumentText {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { path: '', line, column: col, message: `YAML: ${error.message.split('\n')[0]}` };
      }),
    };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (error) {
    return { ok: false, problems: [{ path: '', line: 1, column: 1, message: `YAML: ${(error as Error).message}` }] };
  }
}

/**
 * Issues of a refused document, each at its line in `text`. `within` is where the text sits in
 * the refused input (a segment's filter text is its `filter`): issues outside it get no line.
 */
export function locateIssues(issues: readonly InputIssue[], text: string, within: readonly string[] = []): DocumentProblem[] {
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const inside = within.every((part, i) => path[i] === part);
    const problem = { path: path.join('.'), message: issue.message };
    if (!inside) return problem;
    const at = [...issue.path.slice(within.length), ...(issue.keys ?? []).slice(0, 1)];
    const where = positionIn(
      text,
      at.map((p) => (typeof p === 'number' ? p : String(p))),
    );
    return { ...problem, ...where };
  });
}
