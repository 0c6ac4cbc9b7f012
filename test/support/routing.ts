import type { ConversationHandler } from '../../src/pipeline/handler.ts';
import type { DeskNotice, DeskNotifier } from '../../src/routing/notifier.ts';

/** A desk notifier that keeps every notice for the test to read. */
export class RecordingNotifier implements DeskNotifier {
  readonly notices: DeskNotice[] = [];
  async notify(notice: DeskNotice): Promise<void> {
    this.notices.push(notice);
  }
}

/** Hands every conversation to the support team at normal priority, saying nothing. */
export const handOff: ConversationHandler = {
  name: 'handoff-test',
  async handle(turn) {
    turn.handOff({ team: 'support', priority: 'normal' });
  },
};

export const MIN = 60_000;
export const weekdays = { mon: '09:00-17:00', tue: '09:00-17:00', wed: '09:00-17:00', thu: '09:00-17:00', fri: '09:00-17:00' };
