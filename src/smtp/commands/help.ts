// HELP (RFC 5321 §4.1.1.8).
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const help: CommandHandler = (s) => {
  s.send(reply(214, '2.0.0', 'Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY QUIT STARTTLS AUTH HELP', 'See RFC 5321'));
};
