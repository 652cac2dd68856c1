// Every command has this shape: the state it is valid in, and a handler that reads the session and
// queues responses.
import type { Token } from '../proto/tokens.js';
import type { ManageSieveSession } from '../session.js';

export interface Command {
  /** true: only after login; false: only before; undefined: either. */
  authenticated?: boolean;
  run(session: ManageSieveSession, args: Token[]): void | Promise<void>;
}
