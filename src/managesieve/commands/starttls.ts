// STARTTLS (RFC 5804 §2.2): before login, once, on a listener with STARTTLS configured. The session
// re-issues its capabilities when the handshake has succeeded (session.ts tlsStarted).
import { no, ok } from '../proto/response.js';
import type { Command } from './types.js';

export const starttls: Command = {
  authenticated: false,
  async run(s, args) {
    if (args.length !== 0) return s.send(no('Syntax: STARTTLS'));
    if (s.secure) return s.send(no('TLS already active'));
    if (!s.conn.canStartTls) return s.send(no('TLS not available'));
    s.send(ok('Begin TLS negotiation now'));
    await s.upgradeTls();
  },
};
