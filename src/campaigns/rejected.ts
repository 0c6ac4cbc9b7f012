import { UserError } from '../core/errors.ts';
import { formatZodIssues } from '../pipeline/inbox.ts';

export interface InputIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** An unknown field's name (zod's unrecognized_keys issue; the path is its parent's). */
  readonly keys?: readonly string[];
}

/**
 * A segment or campaign refused field by field. The message names each field, as the CLI and
 * the REST API print it; `issues` keep the paths, so the studio can point at the line of each.
 */
export class InputRejected extends UserError {
  constructor(
    what: 'segment' | 'campaign',
    readonly issues: readonly InputIssue[],
  ) {
    super(`${what} rejected: ${formatZodIssues({ issues })}`);
    this.name = 'InputRejected';
  }
}
