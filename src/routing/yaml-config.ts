import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../core/errors.ts';

/** A configuration file that is not valid: every problem as "file:line:column: what is wrong". */
export class ConfigFileError extends UserError {
  constructor(readonly problems: string[]) {
    super(`configuration file is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

/** Parses YAML text against a zod schema; problems point at the line and column of the value. */
export function parseYamlConfig<S extends z.ZodType>(file: string, source: string, schema: S): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) throw new ConfigFileError(doc.errors.map((e) => `${where(e.pos[0])}: YAML: ${e.message.split('\n')[0]}`));
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path as (string | number)[];
    let offset = 0;
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | undefined;
      if (node?.range) {
        offset = node.range[0];
        break;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      const map = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | undefined;
      const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === issue.keys[0]) : undefined;
      if (pair && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      return `${where(offset)}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const field = path.length > 0 ? `${path.join('.')}: ` : '';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'missing required field' : issue.message;
    return `${where(offset)}: ${field}${message}`;
  });
  throw new ConfigFileError(problems);
}

export function readYamlConfig<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  return parseYamlConfig(file, source, schema);
}
