// The audit trail of a delegated POP3 session (issue #24): when an administrator or a delegate logged
// in as another user (SASL authorization identity), each command they run on the maildrop (RETR,
// DELE, QUIT's expunge…) is logged with both names, its arguments (message numbers) and the answer.
import { auditDelegatedAction } from '../auth/audit.js';
import type { Principal } from '../auth/types.js';
import type { Pop3Session } from './session.js';

/** Housekeeping that touches no mail. */
const UNAUDITED = new Set(['CAPA', 'NOOP']);

/**
 * Logs one command of a delegated session. `principal` is the login the command ran under;
 * `error` whether its last reply was -ERR (undefined: it sent none).
 */
export function auditDelegatedPop3(s: Pop3Session, principal: Principal | undefined, command: { verb: string; args: readonly string[] }, error: boolean | undefined): void {
  if (principal?.actor === undefined || UNAUDITED.has(command.verb)) return;
  auditDelegatedAction(s.log, {
    protocol: 'pop3',
    user: principal.user,
    actor: principal.actor,
    peer: s.conn.remoteAddress,
    session: s.id,
    action: command.verb,
    ...(command.args.length > 0 ? { target: command.args.map((a) => a.slice(0, 64)) } : {}),
    result: error === undefined ? 'none' : error ? '-ERR' : '+OK',
  });
}
