// One log event per login attempt. Only names and reasons: never a password, token or SASL payload.
import type { Logger } from '../log/logger.js';
import type { AuthFailureCode, Protocol } from './types.js';
import { loginsTotal } from './metrics.js';
import type { RecentAuthEvents } from './recent-events.js';

/** A mail protocol, or the development IdP's password grant (POST /dev/token). */
export type AuditedProtocol = Protocol | 'devidp';

export interface AuthAuditEvent {
  protocol: AuditedProtocol;
  mechanism: string;
  /** The user claimed or established, when known. */
  user?: string;
  /** Who authenticated and acts as `user` (an administrator or a delegate; SASL authorization identity). */
  actor?: string;
  peer: string;
  /** The connection's (or JMAP request's) log correlation id. */
  session?: string;
  result: 'success' | AuthFailureCode;
  /** Why it failed, in words safe for logs. */
  reason?: string;
  /** Token logins: who issued it and for which client/session (no token material). */
  clientId?: string;
  sid?: string;
  /** App password logins: which one (its id, never the secret). */
  appPassword?: string;
}

/** Logs the attempt, counts it, and keeps it among the recent events when given where. */
export function auditAuth(logger: Logger, event: AuthAuditEvent, recent?: RecentAuthEvents): void {
  recent?.record(event);
  loginsTotal.inc({ protocol: event.protocol, mechanism: event.mechanism.toUpperCase(), outcome: event.result });
  const line = { event: 'auth', ...event };
  if (event.result === 'success') logger.info(line, 'login succeeded');
  else if (event.result === 'temporary') logger.warn(line, 'login failed temporarily');
  // A refusal by the throttle is the trace of an attack (or of a locked-out user): operators watch warn.
  else if (event.result === 'throttled') logger.warn(line, 'login refused by throttle');
  else logger.info(line, 'login failed');
}

/**
 * One thing done in a delegated session (an administrator or a delegate logged in as `user` with a
 * SASL authorization identity): the login alone says who got in, these say what they did there.
 */
export interface DelegatedActionEvent {
  protocol: AuditedProtocol;
  /** The user acted as. */
  user: string;
  /** Who authenticated and acts as `user`. */
  actor: string;
  peer: string;
  /** The connection's log correlation id, the same as on its login line. */
  session?: string;
  /** The command (IMAP `UID COPY`, POP3 `DELE`…) or, for SMTP, `submit`. */
  action: string;
  /** The mailbox selected (IMAP) when the command ran. */
  mailbox?: string;
  /** What the command named: mailboxes (IMAP), the envelope (SMTP). Never message content. */
  target?: string[];
  /** How the server answered: OK/NO/BAD, or the SMTP reply code. */
  result: string;
}

/** Logs a delegated action at info, beside the login audit lines (`event: "delegated-action"`). */
export function auditDelegatedAction(logger: Logger, event: DelegatedActionEvent): void {
  logger.info({ event: 'delegated-action', ...event }, 'delegated action');
}
