import { LineCounter, type Node, parseDocument } from 'yaml';
import { askOptions } from '../../flows/render.ts';
import type { LocalizedText, Step, StepType } from '../../flows/schema.ts';
import { STEP_TYPES, StepSchemas } from '../../flows/schema.ts';
import { BUILT_IN_TARGETS, endsFlowOrJumps, type FlowProblem, formatProblem, stepTargets, stepTexts } from '../../flows/validate.ts';

/** One text of a step: where it is in the step (`ask.text`) and its words per locale. */
export interface NodeText {
  readonly field: string;
  readonly locales: Record<string, string>;
}

export interface GraphNode {
  readonly id: string;
  /** The step's type, or `handoff`/`end` for the built-in targets. */
  readonly type: StepType | 'target';
  readonly label: string;
  readonly texts: NodeText[];
  /** An ask's options per locale (choices, yes/no, a rating scale). */
  readonly options: Record<string, string[]>;
  /** The step's settings as written (everything but its texts), for the settings form. */
  readonly settings: Record<string, unknown>;
  /** `parley flows validate` lines about this step. */
  readonly errors: string[];
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Why it goes there: `next`, `goto`, a branch case, `else`, `fallback`, ... */
  readonly label: string;
}

export interface FlowGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  /** Problems about no one step (the header, the YAML itself). */
  readonly errors: string[];
}

const textsOf = (text: LocalizedText, locales: readonly string[]): Record<string, string> =>
  typeof text === 'string' ? Object.fromEntries(locales.map((l) => [l, text])) : { ...text };

/** What an edge of `stepTargets` is, from its field: ['branch','cases',0,'goto'] is "case 1". */
function edgeLabel(field: readonly (string | number)[]): string {
  if (field[0] === 'branch' && field[1] === 'cases') return `case ${Number(field[2]) + 1}`;
  if (field[0] === 'classify' && field[1] === 'routes') return String(field[2]);
  return String(field[field.length - 1]);
}

/**
 * A flow file as a graph: steps as nodes, go-tos and branches as edges, each node with its
 * texts per locale, an ask's options and the validation problems that point into it. Drawn
 * from the YAML as written, so a file that does not validate still shows (its broken step
 * without edges, with its problems).
 */
export function flowGraph(source: string, problems: readonly FlowProblem[]): FlowGraph {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const raw = doc.errors.length === 0 ? (doc.toJS({ maxAliasCount: 100 }) as { locales?: unknown; steps?: unknown } | null) : null;
  const locales = Array.isArray(raw?.locales) ? raw.locales.filter((l): l is string => typeof l === 'string') : [];
  const rawSteps = Array.isArray(raw?.steps) ? (raw.steps as unknown[]) : [];

  // The lines each step spans: a problem on one of them is the step's.
  const spans = rawSteps.map((_, index) => {
    const node = doc.getIn(['steps', index], true) as Node | undefined;
    if (!node?.range) return { from: 0, to: -1 };
    return { from: lines.linePos(node.range[0]).line, to: lines.linePos(Math.max(node.range[0], node.range[1] - 1)).line };
  });
  const stepOfLine = (line: number) => spans.findIndex((s) => line >= s.from && line <= s.to);
  const errorsOf = new Map<number, string[]>();
  const flowErrors: string[] = [];
  for (const problem of problems) {
    const index = stepOfLine(problem.line);
    if (index < 0) flowErrors.push(formatProblem(problem));
    else errorsOf.set(index, [...(errorsOf.get(index) ?? []), formatProblem(problem)]);
  }

  const parsed = rawSteps.map((rawStep) => parseStep(rawStep));
  const ids = new Set(parsed.map((p) => p.id).filter(Boolean));
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const targets = new Set<string>();
  parsed.forEach((p, index) => {
    const id = p.id || `#${index + 1}`;
    const step = p.step;
    nodes.push({
      id,
      type: p.type ?? 'say',
      label: p.type ? `${p.type}` : 'step',
      texts: step ? stepTexts(step).map((t) => ({ field: t.field.join('.'), locales: textsOf(t.text, locales) })) : [],
      options: step?.type === 'ask' ? Object.fromEntries(locales.map((l) => [l, askOptions(step.ask, step.id, l).map((o) => o.title)])) : {},
      settings: p.settings,
      errors: errorsOf.get(index) ?? [],
    });
    if (!step) return;
    for (const { target, field } of stepTargets(step)) {
      if (!ids.has(target) && !(BUILT_IN_TARGETS as readonly string[]).includes(target)) continue;
      if (!ids.has(target)) targets.add(target);
      edges.push({ from: id, to: target, label: edgeLabel(field) });
    }
    const following = parsed[index + 1];
    if (!endsFlowOrJumps(step) && following?.id) edges.push({ from: id, to: following.id, label: '' });
    if (step.type === 'handoff' || step.type === 'end') {
      targets.add(step.type);
      edges.push({ from: id, to: step.type, label: '' });
    }
  });
  for (const target of targets) nodes.push({ id: target, type: 'target', label: target, texts: [], options: {}, settings: {}, errors: [] });
  return { nodes, edges, errors: flowErrors };
}

interface ParsedStep {
  readonly id: string;
  readonly type: StepType | undefined;
  readonly step: Step | undefined;
  readonly settings: Record<string, unknown>;
}

function parseStep(rawStep: unknown): ParsedStep {
  if (!rawStep || typeof rawStep !== 'object' || Array.isArray(rawStep)) return { id: '', type: undefined, step: undefined, settings: {} };
  const record = rawStep as Record<string, unknown>;
  const id = typeof record.id === 'string' ? record.id : '';
  const type = Object.keys(record).find((k): k is StepType => (STEP_TYPES as string[]).includes(k));
  const parsed = type ? StepSchemas[type].safeParse(record) : undefined;
  const step = parsed?.success ? ({ ...parsed.data, type } as Step) : undefined;
  return { id, type, step, settings: settingsOf(record, type) };
}

/** Fields that hold texts: edited side by side per locale, not in the settings form. */
const TEXT_FIELDS = new Set(['say', 'ask.text', 'ask.error', 'ask.reminder', 'ask.confirm', 'ticket.subject', 'handoff.say']);

/** The step's fields that are not texts: `next`, and its action's plain values (an ask's type, retries, save, ...). */
function settingsOf(record: Record<string, unknown>, type: StepType | undefined): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (record.next !== undefined) settings.next = record.next;
  const action = type ? record[type] : undefined;
  if (action && typeof action === 'object' && !Array.isArray(action)) {
    for (const [key, value] of Object.entries(action)) {
      const field = `${type}.${key}`;
      if (!TEXT_FIELDS.has(field) && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) settings[field] = value;
    }
  } else if (type && !TEXT_FIELDS.has(type) && action !== undefined && typeof action !== 'object') settings[type] = action;
  return settings;
}
