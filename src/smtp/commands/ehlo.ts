// EHLO (RFC 5321 §4.1.1.1) and LMTP's LHLO (RFC 2033 §4.1). Lists the extensions this connection
// may use right now: STARTTLS only before TLS, AUTH per the James `announce` rules and the auth policy.
import { reply } from '../proto/reply.js';
import type { SmtpSession } from '../session.js';
import type { CommandHandler } from './types.js';
import { greetName } from './helo.js';

/** EHLO, or LHLO on an LMTP listener (RFC 2033 §4.1): the same reply, extensions included. */
function extendedHello(verb: 'EHLO' | 'LHLO'): CommandHandler {
  return (s, args) => {
    const name = greetName(args);
    if (!name) return s.send(reply(501, '5.5.4', `Syntax: ${verb} <hostname>`));
    greet(s, name);
  };
}

export const ehlo = extendedHello('EHLO');
export const lhlo = extendedHello('LHLO');

function greet(s: SmtpSession, name: string): void {
  s.resetTransaction();
  s.helo = name;
  s.esmtp = true;
  const lines = [`${s.config.helloName} Hello ${name} [${s.conn.remoteAddress}]`, 'PIPELINING'];
  lines.push(s.config.maxMessageSize > 0 ? `SIZE ${s.config.maxMessageSize}` : 'SIZE');
  lines.push('8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'DSN');
  if (!s.secure && s.conn.canStartTls) lines.push('STARTTLS');
  // RFC 8689 §4: REQUIRETLS is offered only on a TLS-protected session.
  if (s.secure) lines.push('REQUIRETLS');
  const mechanisms = announcedMechanisms(s);
  if (mechanisms.length > 0) lines.push(`AUTH ${mechanisms.join(' ')}`);
  lines.push('HELP');
  s.send(reply(250, undefined, ...lines));
}

/** AUTH mechanisms to list in EHLO, or none. */
export function announcedMechanisms(s: SmtpSession): string[] {
  const announce = s.config.announce;
  if (announce === 'never' || !s.offers('AUTH')) return [];
  if (announce === 'forUnauthorizedAddresses' && s.peerAuthorized) return [];
  // requireSSL before TLS: the auth policy lists nothing, so clients negotiate STARTTLS first.
  return s.deps.auth.advertisedMechanisms(s.authContext());
}
