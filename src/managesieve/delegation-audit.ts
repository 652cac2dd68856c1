// The audit trail of a delegated ManageSieve session (issue #24): when an administrator or a delegate
// logged in as another user (SASL authorization identity), each command they run on the user's
// scripts is logged with both names, the script names it gives and the answer. Script content is
// never logged: PUTSCRIPT's and CHECKSCRIPT's script stands for its size alone.
import { auditDelegatedAction } from '../auth/audit.js';
import type { Principal } from '../auth/types.js';
import type { Token } from './proto/tokens.js';
import type { ManageSieveSession } from './session.js';

/** Housekeeping that touches no script. */
const UNAUDITED = new Set(['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS']);

/** Which argument of a command is a script's content (RFC 5804 §2.6, §2.12): logged as its size. */
const CONTENT_ARGUMENT: Readonly<Record<string, number>> = { PUTSCRIPT: 1, CHECKSCRIPT: 0 };

/** Longest script name (or other argument) kept in a log line. */
const MAX_ARGUMENT = 200;

function argumentText(t: Token, content: boolean): string {
  if (t.kind !== 'string') return String(t.value);
  if (content || t.discarded !== undefined) return `{${t.discarded ?? t.value.length}}`;
  return t.value.subarray(0, MAX_ARGUMENT).toString('utf8');
}

/**
 * Logs one command of a delegated session. `principal` is the login the command ran under (an
 * UNAUTHENTICATE command ends it); `error` whether its last reply was NO (undefined: it sent none).
 */
export function auditDelegatedManageSieve(s: ManageSieveSession, principal: Principal | undefined, command: string, args: readonly Token[], error: boolean | undefined): void {
  if (principal?.actor === undefined || UNAUDITED.has(command)) return;
  auditDelegatedAction(s.log, {
    protocol: 'managesieve',
    user: principal.user,
    actor: principal.actor,
    peer: s.conn.remoteAddress,
    session: s.id,
    action: command,
    ...(args.length > 0 ? { target: args.map((t, i) => argumentText(t, CONTENT_ARGUMENT[command] === i)) } : {}),
    result: error === undefined ? 'none' : error ? 'NO' : 'OK',
  });
}
