// RSET (RFC 5321 §4.1.1.5): abandons the mail transaction, keeps the session.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const rset: CommandHandler = (s, args) => {
  if (args !== '') return s.send(reply(501, '5.5.4', 'Syntax: RSET'));
  s.resetTransaction();
  s.send(reply(250, '2.0.0', 'Ok'));
};
