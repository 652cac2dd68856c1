// What a line protocol (POP3 AUTH, ManageSieve AUTHENTICATE) does with each step of a SASL exchange
// and with a verified principal, so every front-end treats them alike: a challenge waits for the
// client's next response, a failure is answered, a principal is admitted to session control (which
// refuses revoked tokens) before the login is confirmed. The protocol only supplies its framing.
import type { Logger } from '../../log/logger.js';
import type { AuthFailure, Principal, SaslExchange, SaslStep } from '../types.js';

export interface SaslLoginFrame {
  readonly closed: boolean;
  readonly log: Logger;
  /** Sends the challenge and reads the client's next response into `exchange`. */
  challenge(base64: string, exchange: SaslExchange): void;
  /** Answers a failed login (or step) in the protocol's words. */
  refuse(failure: AuthFailure): void;
  /** Records the login (session control, the account); false = the token or its OP session is revoked. */
  admit(principal: Principal): Promise<boolean>;
  /** The login could not be recorded (store or session control failed): try later. */
  unavailable(): void;
  /** The login is complete: the protocol's success reply. */
  loggedIn(principal: Principal): void;
}

/** Acts on one SASL step: a challenge waits for the client's next response, the rest end the exchange. */
export async function onSaslStep(frame: SaslLoginFrame, exchange: SaslExchange, step: SaslStep): Promise<void> {
  if (frame.closed) return;
  switch (step.type) {
    case 'challenge':
      frame.challenge(step.base64, exchange);
      return;
    case 'success':
      await completeLogin(frame, step.principal);
      return;
    case 'failure':
      frame.refuse(step.failure);
      return;
  }
}

/** Admits a verified principal and confirms the login, or refuses it (revoked) or defers it (unavailable). */
export async function completeLogin(frame: SaslLoginFrame, principal: Principal): Promise<void> {
  let admitted: boolean;
  try {
    admitted = await frame.admit(principal);
  } catch (e) {
    frame.log.error({ err: e, user: principal.user }, 'could not open the account or check the session against revocations');
    frame.unavailable();
    return;
  }
  if (!admitted) {
    if (!frame.closed) frame.log.info({ user: principal.user, mechanism: principal.mechanism }, 'login refused: session revoked');
    frame.refuse({ code: 'invalid', message: 'session revoked' });
    return;
  }
  frame.log.info({ user: principal.user, mechanism: principal.mechanism }, 'authenticated');
  frame.loggedIn(principal);
}
