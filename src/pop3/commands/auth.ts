// Logging in (RFC 1939 §7 USER/PASS, RFC 5034 AUTH) through the shared SASL core and auth policy:
// POP3 only frames. Challenges go out as `+ <base64>`, client lines come back unchanged, and an
// AuthFailure maps to -ERR with the RFC 3206 code a client acts on ([AUTH] = credentials, [SYS/TEMP]
// = try later).
import { refuseMechanism } from '../../auth/policy.js';
import type { AuthFailure, Principal, SaslExchange, SaslStep } from '../../auth/types.js';
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
  await admit(s, result.principal);
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
  await handleSaslStep(s, begun, step);
};

/** Acts on one SASL step: a challenge waits for the client's next line, the rest end the exchange. */
export async function handleSaslStep(s: Pop3Session, exchange: SaslExchange, step: SaslStep): Promise<void> {
  if (s.closed) return;
  switch (step.type) {
    case 'challenge':
      s.send(`+ ${step.base64}\r\n`);
      s.beginSasl(exchange);
      return;
    case 'success':
      await admit(s, step.principal);
      return;
    case 'failure':
      s.send(failureResponse(step.failure));
      return;
  }
}

async function admit(s: Pop3Session, principal: Principal): Promise<void> {
  let admitted: boolean;
  try {
    admitted = await s.authenticated(principal);
  } catch (e) {
    s.log.error({ err: e, user: principal.user }, 'could not open the maildrop or check the session against revocations');
    s.send(err('Mailbox temporarily unavailable', 'SYS/TEMP'));
    return;
  }
  if (!admitted) {
    if (!s.closed) s.log.info({ user: principal.user, mechanism: principal.mechanism }, 'login refused: session revoked');
    s.send(failureResponse({ code: 'invalid', message: 'session revoked' }));
    return;
  }
  s.log.info({ user: principal.user, mechanism: principal.mechanism }, 'authenticated');
  const { count, octets } = s.maildrop!.stat();
  s.send(ok(`Logged in, ${count} messages (${octets} octets)`));
}
