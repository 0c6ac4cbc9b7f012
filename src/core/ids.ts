import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: rows sort by creation, and inbox events by arrival. */
export const newId = (): string => uuidv7();
