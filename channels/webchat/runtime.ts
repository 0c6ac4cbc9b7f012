import type { ChannelContext } from '../../src/core/channel.ts';
import type { WebchatFiles } from './files.ts';
import type { OfficeHours } from './hours.ts';
import type { Hub } from './hub.ts';
import type { VisitorTokens } from './identity.ts';
import type { WindowLimiter } from './limits.ts';
import type { WebchatService } from './service.ts';
import type { WebchatSettings } from './settings.ts';
import type { Transcripts } from './transcript.ts';

/** What the routes need once the channel has started. */
export interface WebchatRuntime {
  readonly context: ChannelContext;
  readonly settings: WebchatSettings;
  readonly tokens: VisitorTokens;
  readonly transcripts: Transcripts;
  readonly hub: Hub;
  readonly files: WebchatFiles;
  readonly hours: OfficeHours;
  readonly service: WebchatService;
  /** New visitor sessions per IP address. */
  readonly sessions: WindowLimiter;
  readonly visitorUploads: WindowLimiter;
  readonly now: () => Date;
}
