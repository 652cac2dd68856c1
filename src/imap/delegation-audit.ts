// The audit trail of a delegated IMAP session (issue #24): when an administrator or a delegate logged
// in as another user (SASL authorization identity), each command they run is logged with both names,
// the mailbox selected, what the command named (mailboxes, message sets, ACL identifiers) and the
// answer, so the owner's mail can be accounted for command by command. Message content never is.
import { auditDelegatedAction } from '../auth/audit.js';
import type { Token } from './proto/tokens.js';
import type { ImapSession } from './session.js';

/**
 * Housekeeping that touches no mail: not worth an audit line each (IDLE's mailbox is SELECT's). The
 * login command itself has the login's audit line (auth/audit.ts).
 */
const UNAUDITED = new Set(['LOGIN', 'AUTHENTICATE', 'CAPABILITY', 'NOOP', 'CHECK', 'LOGOUT', 'ID', 'ENABLE', 'COMPRESS', 'STARTTLS', 'IDLE']);

/**
 * Which arguments a command's audit line records (negative = counted from the end): the mailboxes,
 * identifiers and message sets it names. Commands not listed record none beyond the selected mailbox.
 */
const TARGET_ARGUMENTS: Readonly<Record<string, readonly number[]>> = {
  SELECT: [0],
  EXAMINE: [0],
  CREATE: [0],
  DELETE: [0],
  RENAME: [0, 1],
  SUBSCRIBE: [0],
  UNSUBSCRIBE: [0],
  LIST: [0, 1],
  LSUB: [0, 1],
  STATUS: [0],
  APPEND: [0],
  GETQUOTAROOT: [0],
  SETACL: [0, 1, 2],
  DELETEACL: [0, 1],
  GETACL: [0],
  LISTRIGHTS: [0, 1],
  MYRIGHTS: [0],
  GETMETADATA: [0],
  SETMETADATA: [0],
  FETCH: [0],
  STORE: [0, 1],
  COPY: [0, -1],
  MOVE: [0, -1],
  EXPUNGE: [0],
  REPLACE: [0, 1],
};

/** Longest argument text kept in a log line. */
const MAX_ARGUMENT = 200;

function argumentText(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.type === 'atom') return t.value.slice(0, MAX_ARGUMENT);
  // A literal's bytes may be a message (APPEND of a small one is not spooled): never logged.
  if (t.type === 'string') return t.literal ? `{${t.value.length}}` : t.value.subarray(0, MAX_ARGUMENT).toString('utf8');
  return undefined;
}

/** The arguments a command's audit line records; lists (LIST's selection options) do not count. */
export function auditedTargets(name: string, args: readonly Token[]): string[] {
  const plain = args.filter((t) => t.type !== 'list');
  const picks = TARGET_ARGUMENTS[name] ?? [];
  const out: string[] = [];
  for (const i of picks) {
    const text = argumentText(plain[i < 0 ? plain.length + i : i]);
    if (text !== undefined) out.push(text);
  }
  return out;
}

/** Logs one command of a delegated session; does nothing for a session logged in as its own user. */
export function auditDelegatedCommand(s: ImapSession, command: { name: string; uid: boolean; args: readonly Token[]; mailbox: string | undefined }, result: string): void {
  const principal = s.principal;
  if (principal?.actor === undefined || UNAUDITED.has(command.name)) return;
  const target = auditedTargets(command.name, command.args);
  auditDelegatedAction(s.logger, {
    protocol: 'imap',
    user: principal.user,
    actor: principal.actor,
    peer: s.connection.remoteAddress,
    session: s.id,
    action: command.uid ? `UID ${command.name}` : command.name,
    ...(command.mailbox !== undefined ? { mailbox: command.mailbox } : {}),
    ...(target.length > 0 ? { target } : {}),
    result,
  });
}
