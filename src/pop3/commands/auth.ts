// Logging in (RFC 1939 §7 USER/PASS, RFC 5034 AUTH) through the shared SASL core and auth policy:
// POP3 only frames. Challenges go out as `+ <base64>`, client lines come back unchanged, and an
// AuthFailure maps to -ERR with the RFC 3206 code a client acts on ([AUTH] = credentials, [SYS/TEMP]
// = try later).
import { refuseMechanism } from '../../auth/policy.js';
import { completeLogin, onSaslStep, type SaslLoginFrame } from '../../auth/sasl/login-steps.js';
import type { AuthFailure } from '../../auth/types.js';
import { err, multiline, ok } from '../proto/response.js';
import type { Pop3Session } from '../session.js';
import type { CommandHandler } from './types.js';

export function failureResponse(failure: AuthFailure): string {
  switch (failure.code) {
    case 'invalid':
      return err('Authentication failed', 'AUTH');
    case 'temporary':
    case 'throttled':
      return err(failure.message, 'SYS/TEMP');
    case 'aborted':
      return err('Authentication aborted');
    case 'malformed':
      return err(failure.message);
    case 'encryption-required':
      return err('Plaintext authentication disallowed on non-secure connections: use STLS first', 'AUTH');
    case 'mechanism-unavailable':
      return err('Unrecognized authentication mechanism');
  }
}

function refuseInState(s: Pop3Session): boolean {
  if (!s.principal) return false;
  s.send(err('Already authenticated'));
  return true;
}

export const user: CommandHandler = (s, c) => {
  if (refuseInState(s)) return;
  if (c.args.length !== 1 || c.rest === '') return s.send(err('Syntax: USER name'));
  // USER/PASS only where the policy lets passwords in (plainAuthEnabled, requireSSL over TLS).
  const refused = refuseMechanism('PLAIN', s.authContext());
  if (refused) return s.send(failureResponse(refused));
  s.pendingUser = c.rest;
  s.send(ok('Send PASS'));
};

export const pass: CommandHandler = async (s, c) => {
  if (refuseInState(s)) return;
  const name = s.pendingUser;
  s.pendingUser = undefined;
  if (name === undefined) return s.send(err('Send USER first'));
  // RFC 1939 §7: the password may contain spaces; it is the rest of the line.
  const result = await s.deps.auth.loginWithPassword(name, c.rest, s.authContext());
  if (!result.ok) return s.send(failureResponse(result.failure));
  await completeLogin(loginFrame(s), result.principal);
};

export const auth: CommandHandler = async (s, c) => {
  if (refuseInState(s)) return;
  if (c.args.length === 0) {
    // Not in RFC 5034, but what Dovecot and older clients use to discover mechanisms.
    return s.send(multiline(ok('Methods supported'), s.deps.auth.advertisedMechanisms(s.authContext())));
  }
  if (c.args.length > 2 || !/^[A-Za-z0-9_-]{1,20}$/.test(c.args[0]!)) return s.send(err('Syntax: AUTH mechanism [initial-response]'));
  // requireSSL before TLS: the policy refuses every mechanism, password or token, so the client is
  // told to use STLS.
  const begun = s.deps.auth.beginSasl(c.args[0]!, s.authContext());
  if (!('start' in begun)) return s.send(failureResponse(begun));
  const step = await begun.start(c.args[1]);
  await onSaslStep(loginFrame(s), begun, step);
};

/** How POP3 frames the shared SASL login steps. */
export function loginFrame(s: Pop3Session): SaslLoginFrame {
  return {
    get closed() {
      return s.closed;
    },
    log: s.log,
    challenge: (base64, exchange) => {
      s.send(`+ ${base64}\r\n`);
      s.beginSasl(exchange);
    },
    refuse: (failure) => s.send(failureResponse(failure)),
    admit: (principal) => s.authenticated(principal),
    unavailable: () => s.send(err('Mailbox temporarily unavailable', 'SYS/TEMP')),
    loggedIn: () => {
      const { count, octets } = s.maildrop!.stat();
      s.send(ok(`Logged in, ${count} messages (${octets} octets)`));
    },
  };
}
