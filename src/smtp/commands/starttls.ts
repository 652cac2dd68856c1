// STARTTLS (RFC 3207).
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const starttls: CommandHandler = async (s, args) => {
  if (args !== '') return s.send(reply(501, '5.5.4', 'Syntax: STARTTLS'));
  if (s.secure) return s.send(reply(503, '5.5.1', 'TLS already active'));
  if (!s.conn.canStartTls) return s.send(reply(454, '4.7.0', 'TLS not available'));
  s.send(reply(220, '2.0.0', 'Ready to start TLS'));
  await s.upgradeTls();
};
