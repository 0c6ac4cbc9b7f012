import type { Parley } from '../runtime.ts';
import type { ChannelHealth, ChannelSetting } from './channel.ts';

/** A part of Parley that runs beside the pipeline (the Slack agent desk, ...). */
export interface ParleyPlugin {
  readonly name: string;
  /**
   * Subscribes to events, registers jobs, opens its connections. Its subscribers are recorded
   * in the database once it started, so events emitted by any process (one without this
   * plugin, `parley chat`) reach it (src/pipeline/events.ts).
   */
  start(parley: Parley): Promise<void>;
  stop(): Promise<void>;
  health?(): ChannelHealth;
  /** A harmless call that proves the credentials (for `parley doctor`); says what it found. */
  verify?(): Promise<string>;
}

/** One line in src/plugins.ts registers a plugin through this. */
export interface PluginDefinition {
  readonly name: string;
  readonly description: string;
  readonly settings: readonly ChannelSetting[];
  /** A plugin when configured, else why it is off and which settings turn it on. */
  create(env: Readonly<Record<string, string | undefined>>): ParleyPlugin | { readonly off: string };
}
