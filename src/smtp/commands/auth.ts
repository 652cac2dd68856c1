// AUTH (RFC 4954) through the shared SASL core. SMTP only frames: challenges go out as `334 <base64>`,
// client lines come back unchanged, and AuthFailure codes map to the replies listed in auth/types.ts.
import type { AuthFailure, SaslExchange, SaslStep } from '../../auth/types.js';
import { reply, type SmtpReply } from '../proto/reply.js';
import type { SmtpSession } from '../session.js';
import type { CommandHandler } from './types.js';

export function failureReply(failure: AuthFailure): SmtpReply {
  switch (failure.code) {
    case 'invalid':
      return reply(535, '5.7.8', 'Authentication credentials invalid');
    case 'temporary':
    case 'throttled':
      return reply(454, '4.7.0', failure.message);
    case 'aborted':
      return reply(501, '5.7.0', 'Authentication aborted');
    case 'malformed':
      return reply(501, '5.5.2', failure.message);
    case 'encryption-required':
      return reply(538, '5.7.11', 'Encryption required for requested authentication mechanism');
    case 'mechanism-unavailable':
      return reply(504, '5.5.4', 'Unrecognized authentication type');
  }
}

export const auth: CommandHandler = async (s, args) => {
  const m = /^([A-Za-z0-9_-]{1,20})(?: +(\S+))?$/.exec(args);
  if (!m) return s.send(reply(501, '5.5.4', 'Syntax: AUTH <mechanism> [initial-response]'));
  if (!s.helo || !s.esmtp) return s.send(reply(503, '5.5.1', 'Send EHLO first'));
  if (s.principal) return s.send(reply(503, '5.5.1', 'Already authenticated'));
  if (s.tx) return s.send(reply(503, '5.5.1', 'AUTH not permitted during a mail transaction'));
  // requireSSL before TLS: the auth policy refuses every mechanism, password or token, with
  // encryption-required (538), so the client is told to STARTTLS.
  const begun = s.deps.auth.beginSasl(m[1]!, s.authContext());
  if (!('start' in begun)) return s.send(failureReply(begun));
  const step = await begun.start(m[2]);
  await handleSaslStep(s, begun, step);
};

/** Acts on one SASL step: a challenge waits for the client's next line, the rest end the exchange. */
export async function handleSaslStep(s: SmtpSession, exchange: SaslExchange, step: SaslStep): Promise<void> {
  if (s.closed) return;
  switch (step.type) {
    case 'challenge':
      s.send(reply(334, undefined, step.base64));
      s.beginSasl(exchange);
      return;
    case 'success': {
      let admitted: boolean;
      try {
        admitted = await s.authenticated(step.principal);
      } catch (err) {
        s.log.error({ err, user: step.principal.user }, 'could not check the session against revocations');
        s.send(reply(454, '4.7.0', 'Authentication temporarily unavailable'));
        return;
      }
      if (!admitted) {
        if (!s.closed) s.log.info({ user: step.principal.user, mechanism: step.principal.mechanism }, 'login refused: session revoked');
        s.send(failureReply({ code: 'invalid', message: 'session revoked' }));
        return;
      }
      s.log.info({ user: step.principal.user, mechanism: step.principal.mechanism }, 'authenticated');
      s.send(reply(235, '2.7.0', 'Authentication successful'));
      return;
    }
    case 'failure':
      s.send(failureReply(step.failure));
      return;
  }
}
