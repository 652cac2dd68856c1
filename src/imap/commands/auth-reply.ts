// Maps an auth-core failure to the IMAP tagged reply (codes from RFC 5530), and finishes a login.
import type { AuthFailure, Principal } from '../../auth/types.js';
import { ImapError } from '../proto/errors.js';
import type { ImapSession } from '../session.js';
import type { CommandOk } from '../types.js';

export function failureToImap(f: AuthFailure): ImapError {
  switch (f.code) {
    case 'invalid':
      return new ImapError('NO', 'Authentication failed', 'AUTHENTICATIONFAILED');
    case 'temporary':
    case 'throttled':
      return new ImapError('NO', f.message || 'Authentication temporarily unavailable', 'UNAVAILABLE');
    case 'encryption-required':
      return new ImapError('NO', f.message || 'TLS required', 'PRIVACYREQUIRED');
    case 'aborted':
      return new ImapError('BAD', 'Authentication aborted');
    case 'malformed':
      return new ImapError('BAD', f.message || 'Malformed authentication data');
    case 'mechanism-unavailable':
      return new ImapError('NO', f.message || 'Mechanism not available', 'CANNOT');
  }
}

/**
 * Enters the authenticated state once session control admits the login (a revoked token or OP session
 * is refused like a bad credential); the tagged OK carries the new capability list (RFC 3501 §6.2.2).
 */
export async function completeLogin(s: ImapSession, principal: Principal): Promise<CommandOk> {
  let admitted: boolean;
  try {
    admitted = await s.admit(principal);
  } catch (err) {
    s.logger.error({ err, user: principal.user }, 'imap could not check the session against revocations');
    throw new ImapError('NO', 'Authentication temporarily unavailable', 'UNAVAILABLE');
  }
  if (!admitted) {
    s.logger.info({ user: principal.user, mechanism: principal.mechanism }, 'imap login refused: session revoked');
    throw failureToImap({ code: 'invalid', message: 'session revoked' });
  }
  try {
    await s.loggedIn(principal);
  } catch (err) {
    s.withdrawAdmission();
    s.logger.error({ err, user: principal.user }, 'imap could not open mail account');
    throw new ImapError('NO', 'Mail store unavailable', 'UNAVAILABLE');
  }
  // As SMTP and POP3 do: the session's own line, with its id, next to the auth core's audit line.
  s.logger.info({ user: principal.user, mechanism: principal.mechanism }, 'imap authenticated');
  return { code: `CAPABILITY ${s.capabilities().join(' ')}`, text: 'Logged in' };
}
