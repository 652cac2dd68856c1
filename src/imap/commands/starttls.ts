// STARTTLS (RFC 3501 §6.2.1): only on a clear connection with TLS configured. Anything the client
// pipelined after the command is discarded (CVE-2011-0411 class of injection).
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';

export const starttls: CommandSpec = {
  states: ['notauth'],
  expungeAfter: false,
  async run(s, args, ctx) {
    args.end();
    if (s.secure) throw new ImapSyntaxError('TLS is already active');
    if (!s.connection.tlsAvailable) throw new ImapSyntaxError('STARTTLS is not available');
    s.write(`${ctx.tag} OK Begin TLS negotiation now\r\n`);
    try {
      await s.connection.upgradeTls();
    } catch (err) {
      s.logger.info({ err: (err as Error).message }, 'imap STARTTLS handshake failed');
      s.destroy();
    }
    return { replied: true };
  },
};
