// STLS (RFC 2595 §4): only in AUTHORIZATION state, once, on a listener with STARTTLS configured.
import { err, ok } from '../proto/response.js';
import type { CommandHandler } from './types.js';

export const stls: CommandHandler = async (s, c) => {
  if (c.args.length !== 0) return s.send(err('Syntax: STLS'));
  if (s.principal) return s.send(err('STLS is only valid before login'));
  if (s.secure) return s.send(err('TLS already active'));
  if (!s.conn.canStartTls) return s.send(err('TLS not available'));
  s.send(ok('Begin TLS negotiation'));
  await s.upgradeTls();
};
