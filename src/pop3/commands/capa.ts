// CAPA (RFC 2449 §5): what this connection may use now. SASL lists the mechanisms the auth policy
// advertises (none before STLS under requireSSL), USER only where passwords are allowed, STLS only
// before TLS on a listener that has it.
import { authPolicy } from '../../auth/policy.js';
import { multiline, ok } from '../proto/response.js';
import type { CommandHandler } from './types.js';

export const capa: CommandHandler = (s) => {
  const policy = authPolicy(s.authContext());
  const lines = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  if (!s.principal) {
    if (policy.passwordsAllowed) lines.push('USER');
    const mechanisms = s.deps.auth.advertisedMechanisms(s.authContext());
    if (mechanisms.length > 0) lines.push(`SASL ${mechanisms.join(' ')}`);
    if (s.conn.canStartTls) lines.push('STLS');
  }
  lines.push('IMPLEMENTATION Tessera');
  s.send(multiline(ok('Capability list follows'), lines));
};
