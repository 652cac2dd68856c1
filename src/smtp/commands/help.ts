// HELP (RFC 5321 §4.1.1.8).
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

const LISTED = ['EHLO', 'HELO', 'LHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'VRFY', 'QUIT', 'STARTTLS', 'AUTH', 'HELP'];

export const help: CommandHandler = (s) => {
  const commands = LISTED.filter((verb) => s.offers(verb));
  s.send(reply(214, '2.0.0', `Commands: ${commands.join(' ')}`, s.lmtp ? 'See RFC 2033' : 'See RFC 5321'));
};
