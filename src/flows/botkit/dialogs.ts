import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Botkit, BotkitConversation } from 'botkit';
import { z } from 'zod';

/**
 * What a team's Botkit module exports (its default export, or the module itself):
 *
 *   export default defineBotkitDialogs({
 *     dialogs: (controller) => [complaintDialog(controller), surveyDialog(controller)],
 *     start: 'complaint',
 *   });
 *
 * The dialog ids are the flow ids Parley knows them by.
 */
export interface BotkitDialogs {
  /** Builds the dialogs on Parley's Botkit controller (which may also get `hears`/`on` handlers). */
  readonly dialogs: (controller: Botkit) => readonly BotkitConversation[] | Promise<readonly BotkitConversation[]>;
  /** The dialog a conversation begins with when no dialog has run in it yet; default the first. */
  readonly start?: string;
}

/** Types a dialogs module's export (it returns its argument). */
export const defineBotkitDialogs = (dialogs: BotkitDialogs): BotkitDialogs => dialogs;

const BotkitDialogsSchema = z.object({
  dialogs: z.custom<BotkitDialogs['dialogs']>((value) => typeof value === 'function', 'must be a function (controller) => BotkitConversation[]'),
  start: z.string().min(1).optional(),
});

/** Loads a dialogs module (PARLEY_BOTKIT_DIALOGS), relative to the working directory. */
export async function loadBotkitDialogs(path: string): Promise<BotkitDialogs> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`PARLEY_BOTKIT_DIALOGS=${path}: the module could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  const parsed = BotkitDialogsSchema.safeParse(loaded.default ?? loaded);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'export'}: ${i.message}`).join('; ');
    throw new Error(`PARLEY_BOTKIT_DIALOGS=${path}: the module must export (as default) { dialogs(controller), start? }: ${problems}`);
  }
  return parsed.data;
}
