import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';

/** A change of one text of a step in one locale; `field` defaults to the step's first text (`ask.text`, `say`, ...). */
export const TextPatch = z
  .object({
    stepId: z.string().min(1),
    locale: z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en, fa, ar'),
    text: z.string(),
    field: z.string().min(1).optional(),
  })
  .strict();

/** Step settings by path in the step (`next`, `ask.retries`, `goto`); null removes one. */
export const SettingsPatch = z
  .object({
    stepId: z.string().min(1),
    settings: z.record(
      z.string().regex(/^[a-z_]+(\.[a-z_0-9]+)*$/, 'a field path such as next or ask.retries'),
      z.union([z.string(), z.number(), z.boolean(), z.null()]),
    ),
  })
  .strict();

export const FlowPatch = z.union([TextPatch, SettingsPatch]);
export type FlowPatch = z.infer<typeof FlowPatch>;

type Path = (string | number)[];
type Value = string | number | boolean | null;

const DEFAULT_TEXT_FIELD: Record<string, string> = { say: 'say', ask: 'ask.text', ticket: 'ticket.subject', handoff: 'handoff.say', end: 'end.say' };
const toPath = (field: string): Path => field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));

/**
 * Applies a patch to a flow's YAML. Each changed value is replaced where it is written, so
 * comments, key order, quoting and spacing of everything else stay byte for byte; a change
 * that adds or removes a key is made with the yaml Document API (comments and order kept,
 * spacing normalized).
 */
export function applyPatch(source: string, patch: FlowPatch): string {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) throw new UserError(`the flow's YAML does not parse (${doc.errors[0]?.message.split('\n')[0]}): edit it as text`);
  const steps = doc.get('steps', true);
  if (!isSeq(steps)) throw new UserError('the flow has no steps list to edit');
  const index = steps.items.findIndex((item) => isMap(item) && item.get('id') === patch.stepId);
  if (index < 0) throw new UserError(`no step "${patch.stepId}" in this flow`, 404);
  const base: Path = ['steps', index];
  const changes: { path: Path; value: Value }[] = [];
  if ('text' in patch) {
    const step = doc.getIn(base, true);
    const type = isMap(step) ? Object.keys(DEFAULT_TEXT_FIELD).find((t) => step.has(t)) : undefined;
    const field = patch.field ?? (type ? DEFAULT_TEXT_FIELD[type] : undefined);
    if (!field) throw new UserError(`step "${patch.stepId}" has no text to edit`);
    const path = [...base, ...toPath(field)];
    const current = doc.getIn(path);
    if (typeof current === 'string') {
      // One text for every locale becomes a text per locale, each keeping the old words but this one.
      const locales = doc.getIn(['locales']);
      const all = isSeq(locales) ? locales.items.map((l) => String(isScalar(l) ? l.value : l)) : [patch.locale];
      doc.setIn(path, doc.createNode(Object.fromEntries(all.map((l) => [l, l === patch.locale ? patch.text : current]))));
      return doc.toString({ lineWidth: 0 });
    }
    changes.push({ path: [...path, patch.locale], value: patch.text });
  } else {
    for (const [field, value] of Object.entries(patch.settings)) changes.push({ path: [...base, ...toPath(field)], value });
  }
  return spliced(source, changes) ?? rewritten(doc, changes);
}

function rewritten(doc: Document, changes: readonly { path: Path; value: Value }[]): string {
  for (const { path, value } of changes) {
    if (value === null) doc.deleteIn(path);
    else doc.setIn(path, value);
  }
  return doc.toString({ lineWidth: 0 });
}

/** The source with each changed scalar replaced in place; undefined when a change is not a value already written. */
function spliced(source: string, changes: readonly { path: Path; value: Value }[]): string | undefined {
  const doc = parseDocument(source);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const { path, value } of changes) {
    const node = doc.getIn(path, true);
    if (value === null || !isScalar(node) || !node.range) return undefined;
    const inFlow = isFlowCollectionParent(doc, path);
    edits.push({ start: node.range[0], end: node.range[1], text: scalarText(value, node, inFlow) });
  }
  let text = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  // Proof: the spliced file means exactly what the Document API's edit means.
  const expected = parseDocument(source);
  for (const { path, value } of changes) expected.setIn(path, value);
  const result = parseDocument(text);
  return result.errors.length === 0 && isDeepStrictEqual(result.toJS(), expected.toJS()) ? text : undefined;
}

function isFlowCollectionParent(doc: Document, path: Path): boolean {
  const parent = doc.getIn(path.slice(0, -1), true) as { flow?: boolean } | undefined;
  return Boolean(parent?.flow);
}

/** A value as YAML: plain when the old one was plain and the new one reads back the same, else double-quoted. */
function scalarText(value: string | number | boolean, old: Scalar, inFlow: boolean): string {
  if (typeof value !== 'string') return String(value);
  const plain = new Document(value).toString().trimEnd();
  const plainIsSafe = plain === value && !value.includes('\n') && !(inFlow && /[,[\]{}]/.test(value));
  if (old.type === Scalar.PLAIN && plainIsSafe) return value;
  if (old.type === Scalar.QUOTE_SINGLE && !value.includes('\n')) return `'${value.replaceAll("'", "''")}'`;
  return JSON.stringify(value);
}
