// AUTHENTICATE mechanism [initial-response] (RFC 5804 §2.1) through the shared SASL core and auth
// policy: ManageSieve only frames. Challenges go out as strings, the client's responses come back as
// strings (quoted or literal; "*" aborts), and an AuthFailure maps to NO with the RFC 5804 code a
// client acts on (ENCRYPT-NEEDED = start TLS first, TRYLATER = try later).
import { onSaslStep, type SaslLoginFrame } from '../../auth/sasl/login-steps.js';
import type { AuthFailure, SaslExchange } from '../../auth/types.js';
import { no, ok, str } from '../proto/response.js';
import type { Token } from '../proto/tokens.js';
import type { ManageSieveSession } from '../session.js';
import type { Command } from './types.js';

export function failureResponse(failure: AuthFailure): string {
  switch (failure.code) {
    case 'invalid':
      return no('Authentication failed');
    case 'temporary':
    case 'throttled':
      return no(failure.message, 'TRYLATER');
    case 'aborted':
      return no('Authentication aborted');
    case 'malformed':
      return no(failure.message);
    case 'encryption-required':
      return no('Authentication requires TLS: use STARTTLS first', 'ENCRYPT-NEEDED');
    case 'mechanism-unavailable':
      return no('Unsupported authentication mechanism');
  }
}

/** A SASL string argument as the text the SASL core reads (base64, "*", or empty). */
function saslText(token: Token | undefined): string | undefined {
  if (token?.kind !== 'string' || token.discarded !== undefined) return undefined;
  return token.value.toString('latin1');
}

export const authenticate: Command = {
  authenticated: false,
  async run(s, args) {
    const [mechArg, initialArg] = args;
    const mechanism = saslText(mechArg);
    const initial = initialArg === undefined ? undefined : saslText(initialArg);
    if (args.length > 2 || mechanism === undefined || !/^[A-Za-z0-9_-]{1,20}$/.test(mechanism) || (initialArg !== undefined && initial === undefined)) {
      return s.send(no('Syntax: AUTHENTICATE "mechanism" ["initial response"]'));
    }
    // requireSSL before TLS: the policy refuses every mechanism, password or token (ENCRYPT-NEEDED).
    const begun = s.deps.auth.beginSasl(mechanism, s.authContext());
    if (!('start' in begun)) return s.send(failureResponse(begun));
    // An empty string is an empty initial response (SASL-IR's "=").
    const step = await begun.start(initial === '' ? '=' : initial);
    await onSaslStep(frame(s), begun, step);
  },
};

/** The client's answer to a challenge: exactly one string. */
export async function handleSaslResponse(s: ManageSieveSession, exchange: SaslExchange, tokens: Token[]): Promise<void> {
  const text = tokens.length === 1 ? saslText(tokens[0]) : undefined;
  if (text === undefined) {
    s.send(no('Authentication aborted: a SASL response is one string'));
    return;
  }
  await onSaslStep(frame(s), exchange, await exchange.respond(text));
}

/** How ManageSieve frames the shared SASL login steps. */
function frame(s: ManageSieveSession): SaslLoginFrame {
  return {
    get closed() {
      return s.closed;
    },
    log: s.log,
    challenge: (base64, exchange) => {
      s.send(`${str(base64)}\r\n`);
      s.beginSasl(exchange);
    },
    refuse: (failure) => s.send(failureResponse(failure)),
    admit: (principal) => s.authenticated(principal),
    unavailable: () => s.send(no('Script storage temporarily unavailable', 'TRYLATER')),
    loggedIn: () => s.send(ok('Authenticated')),
  };
}
