// AUTHENTICATE (RFC 3501 §6.2.2, SASL-IR RFC 4959): client lines go to the auth core's SASL exchange
// unchanged and its challenges go out as `+ <base64>`. For OAUTHBEARER/XOAUTH2 a failed token gets the
// RFC 7628 error challenge first; the client's reply to it then yields the final NO.
import type { CommandSpec } from '../types.js';
import { ImapError, ImapSyntaxError } from '../proto/errors.js';
import { failureToImap, completeLogin } from './auth-reply.js';
import type { SaslStep } from '../../auth/types.js';

export const authenticate: CommandSpec = {
  states: ['notauth'],
  expungeAfter: false,
  async run(s, args) {
    const mechanism = args.atom('mechanism').toUpperCase();
    let initial: string | undefined;
    if (args.remaining > 0) initial = args.atom('initial response');
    args.end();
    if (initial !== undefined && initial !== '=' && !/^[A-Za-z0-9+/]*={0,2}$/.test(initial)) {
      throw new ImapSyntaxError('Invalid base64 in initial response');
    }
    const exchange = s.deps.auth.beginSasl(mechanism, s.authContext());
    if (!('start' in exchange)) throw failureToImap(exchange);
    let step: SaslStep = await exchange.start(initial);
    for (;;) {
      if (step.type === 'success') return completeLogin(s, step.principal);
      if (step.type === 'failure') throw failureToImap(step.failure);
      s.write(`+ ${step.base64}\r\n`);
      const line = await s.connection.readLine();
      if (line === null) return { replied: true };
      if (line === undefined) throw new ImapError('BAD', 'Authentication response too long', 'TOOBIG');
      step = await exchange.respond(line);
    }
  },
};
