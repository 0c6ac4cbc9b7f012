import { randomInt } from 'node:crypto';
import { newId } from '../../core/ids.ts';
import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

/** Crockford base32 without look-alikes: references customers can read out on the phone. */
const REF_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const REF_PREFIX = { complaint: 'CMP', request: 'REQ', question: 'QST' } as const;
export const newTicketRef = (kind: keyof typeof REF_PREFIX): string =>
  `${REF_PREFIX[kind]}-${Array.from({ length: 6 }, () => REF_ALPHABET[randomInt(REF_ALPHABET.length)]).join('')}`;

/** Opens a ticket; its reference is in the `save` variable at once, for the next steps' texts. */
export const executeTicket: StepExecutor<'ticket'> = (step, run) => {
  const ref = newTicketRef(step.ticket.kind);
  run.session.variables[step.ticket.save] = ref;
  run.effect({
    type: 'ticket',
    id: newId(),
    ref,
    kind: step.ticket.kind,
    category: step.ticket.category ? fillTemplate(step.ticket.category, run.view()) || null : null,
    subject: run.text(step.ticket.subject),
    priority: run.priorityOf(step.ticket.priority) ?? 'normal',
    fields: Object.fromEntries(Object.entries(step.ticket.fields).map(([k, v]) => [k, fillTemplate(v, run.view())])),
  });
  return run.goTo(step.next, step);
};
