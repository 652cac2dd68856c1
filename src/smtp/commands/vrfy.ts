// VRFY and EXPN (RFC 5321 §3.5): 252 says "cannot verify, but will try", so VRFY never confirms
// who exists; mailing lists are not expanded for strangers.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const vrfy: CommandHandler = (s, args) => {
  if (args === '') return s.send(reply(501, '5.5.4', 'Syntax: VRFY <address>'));
  s.send(reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'));
};

export const expn: CommandHandler = (s) => {
  s.send(reply(502, '5.5.1', 'EXPN not available'));
};
