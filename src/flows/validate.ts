import { createHash } from 'node:crypto';
import levenshtein from 'damerau-levenshtein';
import Mustache from 'mustache';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { foldForMatch } from '../core/text.ts';
import { type Flow, FlowFileSchema, FlowSettings, type LocalizedText, type Step, STEP_TYPES, StepSchemas, type StepType } from './schema.ts';

export interface FlowProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export const formatProblem = (p: FlowProblem): string => `${p.file}:${p.line}:${p.column}: ${p.message}`;

/** Line and column of a path in a flow file's text (rules checked across files report with it). */
export function positionIn(source: string, path: readonly (string | number)[]): { line: number; column: number } {
  const lines = new LineCounter();
  return new Positions(parseDocument(source, { lineCounter: lines }), lines).at(path);
}

export type ParseResult = { readonly ok: true; readonly flow: Flow } | { readonly ok: false; readonly problems: FlowProblem[] };

/** Targets every flow understands besides its own step ids. */
export const BUILT_IN_TARGETS = ['handoff', 'end'] as const;

/** Variables every template may use besides those the flow sets. */
const BUILT_IN_VARIABLES = ['customer', 'channel', 'locale', 'flow', 'answer', 'conversation'];

type Path = readonly (string | number)[];

/** Where a path of the document is, as 1-based line and column (the nearest existing parent if absent). */
class Positions {
  constructor(
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  at(path: Path): { line: number; column: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      const node = (sub.length === 0 ? this.doc.contents : this.doc.getIn(sub, true)) as Node | undefined;
      if (node && node.range) {
        const { line, col } = this.lines.linePos(node.range[0]);
        return { line, column: col };
      }
    }
    return { line: 1, column: 1 };
  }

  /** The key node of `name` inside the map at `path`. */
  keyOf(path: Path, name: string): { line: number; column: number } {
    const map = (path.length === 0 ? this.doc.contents : this.doc.getIn(path, true)) as Node | undefined;
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && p.key.value === name);
      if (pair && isScalar(pair.key) && pair.key.range) {
        const { line, col } = this.lines.linePos(pair.key.range[0]);
        return { line, column: col };
      }
    }
    return this.at(path);
  }
}

const describeIssue = (issue: z.core.$ZodIssue): string => {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing required field "${String(issue.path[issue.path.length - 1])}"`;
  if (issue.code === 'invalid_union') return 'this value does not match any allowed form (see `parley flows schema`)';
  return issue.message;
};

/**
 * How many alias (*anchor) uses a flow file may resolve: enough for shared answer lists, far
 * below what expands exponentially (https://eemeli.org/yaml/#tojs-options).
 */
export const MAX_ALIAS_COUNT = 100;

/** Parses and checks one flow file: YAML, the schema, then the rules a schema cannot say. */
export function parseFlowFile(file: string, source: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const positions = new Positions(doc, lines);
  const problems: FlowProblem[] = [];
  const report = (where: { line: number; column: number }, message: string) => problems.push({ file, ...where, message });

  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    report({ line, column: col }, `YAML: ${error.message.split('\n')[0]}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml refuses a document whose aliases expand too far (a "billion laughs" file).
    report({ line: 1, column: 1 }, `YAML: ${(error as Error).message} (at most ${MAX_ALIAS_COUNT} uses of anchors (*name) per file)`);
    return { ok: false, problems };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    report({ line: 1, column: 1 }, 'a flow file is a map with id, name, locales, triggers and steps');
    return { ok: false, problems };
  }

  const header = FlowFileSchema.extend({ steps: z.array(z.unknown()).min(1) }).safeParse(raw);
  if (!header.success) {
    for (const issue of header.error.issues) {
      const path = issue.path as Path;
      report(issue.code === 'unrecognized_keys' ? positions.keyOf(path, issue.keys[0] as string) : positions.at(path), describeIssue(issue));
    }
  }
  const rawSteps = Array.isArray((raw as { steps?: unknown }).steps) ? ((raw as { steps: unknown[] }).steps as unknown[]) : [];
  const steps: Step[] = [];
  rawSteps.forEach((rawStep, index) => {
    const path = ['steps', index];
    if (!rawStep || typeof rawStep !== 'object' || Array.isArray(rawStep)) {
      report(positions.at(path), 'a step is a map with an id and one action such as say, ask or handoff');
      return;
    }
    const keys = Object.keys(rawStep);
    const types = keys.filter((k): k is StepType => (STEP_TYPES as string[]).includes(k));
    if (types.length === 0) {
      const unknown = keys.filter((k) => k !== 'id' && k !== 'next');
      report(
        unknown[0] ? positions.keyOf(path, unknown[0]) : positions.at(path),
        `unknown step type${unknown.length ? ` "${unknown.join('", "')}"` : ''}: a step needs one of ${STEP_TYPES.join(', ')}`,
      );
      return;
    }
    if (types.length > 1) {
      report(positions.keyOf(path, types[1] as string), `a step does one thing: it has both "${types[0]}" and "${types[1]}"; split it in two steps`);
      return;
    }
    const type = types[0] as StepType;
    const parsed = StepSchemas[type].safeParse(rawStep);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const full = [...path, ...issue.path] as Path;
        report(issue.code === 'unrecognized_keys' ? positions.keyOf(full, issue.keys[0] as string) : positions.at(full), describeIssue(issue));
      }
      return;
    }
    steps.push({ ...parsed.data, type } as Step);
  });
  // Rules across steps need every step; a broken header alone does not hide their problems.
  if (steps.length < rawSteps.length) return { ok: false, problems };
  const flow: Flow = {
    ...(header.success ? header.data : headerForRules(raw as Record<string, unknown>)),
    steps,
    version: createHash('sha256').update(source).digest('hex').slice(0, 16),
  };
  checkFlowRules(flow, (path, message, key) => report(key ? positions.keyOf(path, key) : positions.at(path), message));
  return problems.length > 0 || !header.success ? { ok: false, problems } : { ok: true, flow };
}

/** The parts of a header that did not validate, read leniently so the step rules can still run. */
function headerForRules(raw: Record<string, unknown>): Omit<Flow, 'steps' | 'version'> {
  const settings = FlowSettings.safeParse(raw.settings ?? {});
  return {
    id: typeof raw.id === 'string' ? raw.id : '',
    name: typeof raw.name === 'string' ? raw.name : '',
    description: undefined,
    locales: Array.isArray(raw.locales) ? raw.locales.filter((l): l is string => typeof l === 'string') : [],
    triggers: [],
    settings: settings.success ? settings.data : FlowSettings.parse({}),
  };
}

type Reporter = (path: Path, message: string, key?: string) => void;

/** Where each step can go next; `undefined` target means "falls through to the following step". */
export function stepTargets(step: Step): { target: string; field: Path }[] {
  const out: { target: string; field: Path }[] = [];
  if (step.next) out.push({ target: step.next, field: ['next'] });
  switch (step.type) {
    case 'goto':
      out.push({ target: step.goto, field: ['goto'] });
      break;
    case 'branch':
      step.branch.cases.forEach((c, i) => out.push({ target: c.goto, field: ['branch', 'cases', i, 'goto'] }));
      if (step.branch.else) out.push({ target: step.branch.else, field: ['branch', 'else'] });
      break;
    case 'ask':
      if (step.ask.fallback) out.push({ target: step.ask.fallback, field: ['ask', 'fallback'] });
      break;
    case 'webhook':
      if (step.webhook.on_error) out.push({ target: step.webhook.on_error, field: ['webhook', 'on_error'] });
      break;
    case 'classify':
      for (const [intent, target] of Object.entries(step.classify.routes)) out.push({ target, field: ['classify', 'routes', intent] });
      if (step.classify.else) out.push({ target: step.classify.else, field: ['classify', 'else'] });
      break;
    default:
      break;
  }
  return out;
}

/** Steps after which the flow never falls through to the following step. */
export function endsFlowOrJumps(step: Step): boolean {
  if (step.next) return true;
  if (step.type === 'branch') return step.branch.else !== undefined;
  if (step.type === 'classify') return step.classify.else !== undefined;
  return ['goto', 'end', 'handoff', 'start_flow'].includes(step.type);
}

function checkFlowRules(flow: Flow, report: Reporter): void {
  const ids = new Map<string, number>();
  flow.steps.forEach((step, index) => {
    if (ids.has(step.id)) report(['steps', index, 'id'], `step id "${step.id}" is used twice (first at step ${(ids.get(step.id) as number) + 1})`);
    else ids.set(step.id, index);
  });
  const isTarget = (t: string) => ids.has(t) || (BUILT_IN_TARGETS as readonly string[]).includes(t);
  const fallback = flow.settings.fallback;
  if (!isTarget(fallback)) report(['settings', 'fallback'], `fallback "${fallback}" is not a step of this flow (nor handoff or end)`);

  // Edges, for reachability and loops.
  const edges = new Map<string, string[]>();
  flow.steps.forEach((step, index) => {
    const out: string[] = [];
    for (const { target, field } of stepTargets(step)) {
      if (!isTarget(target)) report(['steps', index, ...field], `goes to "${target}", which is not a step of this flow${suggest(target, [...ids.keys()])}`);
      else if (ids.has(target)) out.push(target);
    }
    const following = flow.steps[index + 1];
    if (!endsFlowOrJumps(step) && following) out.push(following.id);
    if (step.type === 'ask' && !step.ask.fallback && ids.has(fallback)) out.push(fallback);
    edges.set(step.id, out);
  });

  const reachable = new Set<string>();
  const queue = [flow.steps[0]?.id].filter((x): x is string => Boolean(x));
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (reachable.has(id)) continue;
    reachable.add(id);
    queue.push(...(edges.get(id) ?? []));
  }
  flow.steps.forEach((step, index) => {
    if (!reachable.has(step.id)) report(['steps', index, 'id'], `step "${step.id}" can never be reached: no step goes to it`);
  });

  for (const cycle of cyclesWithoutPause(flow, edges)) {
    const index = ids.get(cycle[0] as string) as number;
    report(['steps', index, 'id'], `steps ${cycle.map((c) => `"${c}"`).join(' -> ')} loop forever without asking anything: add an ask or a wait to the loop`);
  }

  checkTexts(flow, report);
  checkVariables(flow, report);
  checkVariablesSetBeforeRead(flow, edges, report);
  checkAsks(flow, report);
  checkWebhookUrls(flow, report);
}

/** Strongly connected components (Tarjan) that contain no ask and no wait. */
function cyclesWithoutPause(flow: Flow, edges: Map<string, string[]>): string[][] {
  const pauses = new Set(flow.steps.filter((s) => s.type === 'ask' || s.type === 'wait').map((s) => s.id));
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = component.length === 1 && (edges.get(v) ?? []).includes(v);
      if ((component.length > 1 || selfLoop) && !component.some((c) => pauses.has(c))) found.push(component.reverse());
    }
  };
  for (const step of flow.steps) if (!index.has(step.id)) visit(step.id);
  return found;
}

/** Every localized text of a step with its path, for translation and template checks. */
export function stepTexts(step: Step): { text: LocalizedText; field: Path }[] {
  const texts: { text: LocalizedText; field: Path }[] = [];
  switch (step.type) {
    case 'say':
      texts.push({ text: step.say, field: ['say'] });
      break;
    case 'ask':
      texts.push({ text: step.ask.text, field: ['ask', 'text'] });
      if (step.ask.error) texts.push({ text: step.ask.error, field: ['ask', 'error'] });
      if (step.ask.reminder) texts.push({ text: step.ask.reminder, field: ['ask', 'reminder'] });
      step.ask.choices?.forEach((c, i) => texts.push({ text: c.label, field: ['ask', 'choices', i, 'label'] }));
      break;
    case 'ticket':
      texts.push({ text: step.ticket.subject, field: ['ticket', 'subject'] });
      break;
    case 'handoff':
      if (step.handoff.say) texts.push({ text: step.handoff.say, field: ['handoff', 'say'] });
      break;
    case 'end':
      if (step.end !== true && step.end.say) texts.push({ text: step.end.say, field: ['end', 'say'] });
      break;
    default:
      break;
  }
  return texts;
}

/** Template strings that are not localized texts (values, notes, URLs). */
function stepTemplates(step: Step): { template: string; field: Path }[] {
  const out: { template: string; field: Path }[] = [];
  const add = (record: Record<string, string> | undefined, field: Path) => {
    for (const [k, v] of Object.entries(record ?? {})) out.push({ template: v, field: [...field, k] });
  };
  if (step.type === 'set') {
    add(step.set.variables, ['set', 'variables']);
    add(step.set.attributes, ['set', 'attributes']);
  }
  if (step.type === 'ticket') {
    add(step.ticket.fields, ['ticket', 'fields']);
    if (step.ticket.category) out.push({ template: step.ticket.category, field: ['ticket', 'category'] });
  }
  if (step.type === 'handoff' && step.handoff.note) out.push({ template: step.handoff.note, field: ['handoff', 'note'] });
  if (step.type === 'webhook') {
    out.push({ template: step.webhook.url, field: ['webhook', 'url'] });
    add(step.webhook.headers, ['webhook', 'headers']);
    add(step.webhook.body, ['webhook', 'body']);
  }
  if (step.type === 'classify' && step.classify.input) out.push({ template: step.classify.input, field: ['classify', 'input'] });
  return out;
}

function checkTexts(flow: Flow, report: Reporter): void {
  const check = (text: LocalizedText, path: Path) => {
    if (typeof text === 'string') return;
    const missing = flow.locales.filter((l) => !text[l]);
    if (missing.length > 0) report(path, `missing translation for ${missing.join(', ')} (the flow supports ${flow.locales.join(', ')})`);
  };
  flow.steps.forEach((step, index) => {
    for (const { text, field } of stepTexts(step)) check(text, ['steps', index, ...field]);
  });
  if (flow.settings.error) check(flow.settings.error, ['settings', 'error']);
  if (flow.settings.reminder) check(flow.settings.reminder, ['settings', 'reminder']);
}

/** Variables a flow sets anywhere (saved answers, set steps, tickets, webhooks, classify). */
export function declaredVariables(flow: Flow): Set<string> {
  const names = new Set<string>(BUILT_IN_VARIABLES);
  for (const step of flow.steps) {
    if (step.type === 'ask' && step.ask.save) names.add(step.ask.save);
    if (step.type === 'ask' && step.ask.save && step.ask.accept_attachments) names.add(`${step.ask.save}_attachments`);
    if (step.type === 'ask' && step.ask.save && step.ask.type === 'choice') names.add(`${step.ask.save}_label`);
    if (step.type === 'webhook') names.add('webhook_error');
    if (step.type === 'set') for (const k of Object.keys(step.set.variables ?? {})) names.add(k);
    if (step.type === 'ticket') names.add(step.ticket.save);
    if (step.type === 'webhook') for (const k of Object.keys(step.webhook.save)) names.add(k);
    if (step.type === 'classify') names.add(step.classify.save);
  }
  return names;
}

/** Names a template reads ({{a.b}} -> "a.b"); throws on a malformed template. */
export function templateNames(template: string): string[] {
  const names: string[] = [];
  const walk = (tokens: unknown[]) => {
    for (const token of tokens as [string, string, number, number, unknown[]?][]) {
      if (['name', '&', '#', '^'].includes(token[0])) names.push(token[1]);
      if (token[4]) walk(token[4]);
    }
  };
  walk(Mustache.parse(template));
  return names;
}

function checkVariables(flow: Flow, report: Reporter): void {
  const known = declaredVariables(flow);
  const check = (template: string, path: Path) => {
    let names: string[];
    try {
      names = templateNames(template);
    } catch (error) {
      report(path, `template error: ${(error as Error).message}`);
      return;
    }
    for (const name of names) {
      const root = name.split('.')[0] as string;
      if (name !== '.' && !known.has(root)) report(path, `template variable {{${name}}} is never set in this flow${suggest(root, [...known])}`);
    }
  };
  flow.steps.forEach((step, index) => {
    for (const { text, field } of stepTexts(step)) {
      if (typeof text === 'string') check(text, ['steps', index, ...field]);
      else for (const [locale, value] of Object.entries(text)) check(value, ['steps', index, ...field, locale]);
    }
    for (const { template, field } of stepTemplates(step)) check(template, ['steps', index, ...field]);
    if (step.type === 'branch') {
      step.branch.cases.forEach((c, i) => {
        for (const name of conditionVariables(c.when)) {
          if (!known.has(name)) report(['steps', index, 'branch', 'cases', i, 'when'], `condition reads variable "${name}", which is never set in this flow`);
        }
      });
    }
    if (step.type === 'ticket' || step.type === 'handoff') {
      const rule = step.type === 'ticket' ? step.ticket.priority : step.handoff.priority;
      if (rule && typeof rule === 'object' && !known.has(rule.from))
        report(['steps', index, step.type, 'priority', 'from'], `priority reads variable "${rule.from}", which is never set in this flow`);
    }
    if (step.type === 'survey') {
      for (const name of [step.survey.score, step.survey.comment].filter((x): x is string => Boolean(x))) {
        if (!known.has(name)) report(['steps', index, 'survey'], `survey reads variable "${name}", which is never set in this flow`);
      }
    }
  });
}

function conditionVariables(condition: unknown): string[] {
  if (!condition || typeof condition !== 'object') return [];
  const c = condition as Record<string, unknown>;
  if (typeof c.var === 'string') return [c.var];
  if (Array.isArray(c.all)) return c.all.flatMap(conditionVariables);
  if (Array.isArray(c.any)) return c.any.flatMap(conditionVariables);
  if (c.not) return conditionVariables(c.not);
  return [];
}

function checkAsks(flow: Flow, report: Reporter): void {
  flow.steps.forEach((step, index) => {
    if (step.type !== 'ask') return;
    const path = ['steps', index, 'ask'];
    if (step.ask.type === 'choice' && !step.ask.choices) report(path, 'a choice question needs choices', 'type');
    if (step.ask.type !== 'choice' && step.ask.choices) report(path, `choices only make sense on a choice question, not ${step.ask.type}`, 'choices');
    if (step.ask.scale && step.ask.scale.min >= step.ask.scale.max) report([...path, 'scale'], 'the scale needs min below max');
    if (step.ask.accept_attachments && step.ask.type !== 'text') report(path, 'accept_attachments works on text questions only', 'accept_attachments');
    const choiceIds = new Set<string>();
    step.ask.choices?.forEach((c, i) => {
      if (choiceIds.has(c.id)) report([...path, 'choices', i, 'id'], `choice id "${c.id}" is used twice`);
      choiceIds.add(c.id);
    });
  });
}

function suggest(word: string, candidates: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word, c).steps;
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

/** A webhook URL must be an http(s) URL once its {{variables}} are filled. */
function checkWebhookUrls(flow: Flow, report: Reporter): void {
  flow.steps.forEach((step, index) => {
    if (step.type !== 'webhook') return;
    const sample = step.webhook.url.replace(/\{\{\{?[^}]*\}?\}\}/g, 'x');
    let url: URL | undefined;
    try {
      url = new URL(sample);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !/^https?:\/\/[^/]/.test(sample)) {
      report(['steps', index, 'webhook', 'url'], `"${step.webhook.url}" is not an http(s) URL (write it as https://host/path)`);
    }
  });
}

/**
 * A template may read a variable only where every path from the first step has set it: "Your
 * reference is {{ticket_ref}}" before the ticket step would show an empty reference. Variables
 * set by a step are counted after it; an ask's fallback and a webhook's on_error leave before
 * the step's own variables are set (a webhook's on_error path has webhook_error).
 */
function checkVariablesSetBeforeRead(flow: Flow, edges: Map<string, string[]>, report: Reporter): void {
  const setBy = (step: Step): string[] => [...declaredVariables({ ...flow, steps: [step] })].filter((name) => !BUILT_IN_VARIABLES.includes(name));
  const all = new Set(flow.steps.flatMap(setBy));
  const first = flow.steps[0]?.id;
  const before = new Map<string, Set<string>>(flow.steps.map((s) => [s.id, s.id === first ? new Set<string>() : new Set(all)]));
  const leavesEarly = (step: Step, target: string) =>
    (step.type === 'ask' && (step.ask.fallback ?? flow.settings.fallback) === target && step.ask.fallback !== undefined) ||
    (step.type === 'webhook' && step.webhook.on_error === target);
  for (let changed = true; changed;) {
    changed = false;
    for (const step of flow.steps) {
      const inSet = before.get(step.id) as Set<string>;
      const after = new Set([...inSet, ...setBy(step)]);
      for (const target of edges.get(step.id) ?? []) {
        const targetIn = before.get(target);
        if (!targetIn || target === first) continue;
        // A failed webhook sets webhook_error, and nothing else, on its way to on_error.
        const early = step.type === 'webhook' ? new Set([...inSet, 'webhook_error']) : inSet;
        const carried = leavesEarly(step, target) ? early : after;
        for (const name of [...targetIn]) {
          if (!carried.has(name)) {
            targetIn.delete(name);
            changed = true;
          }
        }
      }
    }
  }
  flow.steps.forEach((step, index) => {
    const known = before.get(step.id) as Set<string>;
    const reads = [
      ...stepTexts(step).flatMap(({ text }) => (typeof text === 'string' ? [text] : Object.values(text))),
      ...stepTemplates(step).map((t) => t.template),
    ];
    const unset = new Set(
      reads
        .flatMap((t) => safeTemplateNames(t))
        .map((name) => name.split('.')[0] as string)
        .filter((root) => all.has(root) && !known.has(root)),
    );
    for (const name of unset) {
      const setter = flow.steps.find((s) => setBy(s).includes(name));
      report(['steps', index, 'id'], `reads {{${name}}} before it is set on every path (it is set at step "${setter?.id}"), so it may show empty`);
    }
  });
}

const safeTemplateNames = (template: string): string[] => {
  try {
    return templateNames(template);
  } catch {
    return [];
  }
};

/** Keywords that start two flows: the customer's word would start whichever loads first. */
export function keywordClashes(loaded: readonly { flow: Flow; file: string; source: string }[]): FlowProblem[] {
  const owners = new Map<string, { flowId: string; file: string }>();
  const problems: FlowProblem[] = [];
  for (const { flow, file, source } of loaded) {
    flow.triggers.forEach((trigger, index) => {
      if (!('keyword' in trigger)) return;
      const words =
        typeof trigger.keyword === 'string' ? [trigger.keyword] : Array.isArray(trigger.keyword) ? trigger.keyword : Object.values(trigger.keyword).flat();
      for (const word of words as string[]) {
        const key = foldForMatch(word);
        const owner = owners.get(key);
        if (owner && owner.flowId !== flow.id) {
          problems.push({
            file,
            ...positionIn(source, ['triggers', index, 'keyword']),
            message: `keyword "${word}" also starts flow "${owner.flowId}" (${owner.file}); a keyword may start one flow only`,
          });
        } else owners.set(key, { flowId: flow.id, file });
      }
    });
  }
  return problems;
}
