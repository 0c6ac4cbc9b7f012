import type { App, Logger as SlackLogger, Receiver, ReceiverEvent } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import type { Logger } from 'pino';

/**
 * Socket Mode that acknowledges an envelope only after its listener finished, like the HTTP
 * receiver with processBeforeResponse: an agent's reply is stored before Slack is told it
 * arrived, and a failure leaves the envelope unacknowledged so Slack delivers it again.
 * (Bolt's own SocketModeReceiver acknowledges events before running the listener.)
 */
export class StoreThenAckSocketReceiver implements Receiver {
  readonly client: SocketModeClient;
  #app: App | undefined;

  constructor(options: { appToken: string; apiUrl: string; logger: Logger; boltLogger: SlackLogger }) {
    this.client = new SocketModeClient({ appToken: options.appToken, logger: options.boltLogger, clientOptions: { slackApiUrl: options.apiUrl } });
    this.client.on(
      'slack_event',
      async ({
        ack,
        body,
        retry_num,
        retry_reason,
      }: {
        ack: (response?: unknown) => Promise<void>;
        body: Record<string, unknown>;
        retry_num?: number;
        retry_reason?: string;
      }) => {
        let response: unknown;
        const event: ReceiverEvent = {
          body,
          ack: async (r?: unknown) => {
            response = r;
          },
          retryNum: retry_num,
          retryReason: retry_reason,
        };
        try {
          await this.#app?.processEvent(event);
          await ack(response);
        } catch (error) {
          options.logger.error({ err: error }, 'slack: Socket Mode event failed; left unacknowledged for redelivery');
        }
      },
    );
  }

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<unknown> {
    return this.client.start();
  }

  async stop(): Promise<void> {
    await this.client.disconnect();
  }
}
