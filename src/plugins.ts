import type { PluginDefinition } from './core/plugin.ts';
import { slackDesk } from './desk/slack/definition.ts';

/** Every plugin Parley knows. A new one is one line here. */
export const plugins: readonly PluginDefinition[] = [slackDesk];
