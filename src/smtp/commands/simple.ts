// Commands with no state of their own: RSET, NOOP, VRFY, EXPN, HELP, QUIT.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const rset: CommandHandler = (s, args) => {
  if (args !== '') return s.send(reply(501, '5.5.4', 'Syntax: RSET'));
  s.resetTransaction();
  s.send(reply(250, '2.0.0', 'Ok'));
};

// RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored.
export const noop: CommandHandler = (s) => {
  s.send(reply(250, '2.0.0', 'Ok'));
};

// RFC 5321 §3.5.3: 252 says "cannot verify, but will try", so VRFY never confirms who exists.
export const vrfy: CommandHandler = (s, args) => {
  if (args === '') return s.send(reply(501, '5.5.4', 'Syntax: VRFY <address>'));
  s.send(reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'));
};

export const expn: CommandHandler = (s) => {
  s.send(reply(502, '5.5.1', 'EXPN not available'));
};

export const help: CommandHandler = (s) => {
  s.send(
    reply(
      214,
      '2.0.0',
      'Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY QUIT STARTTLS AUTH HELP',
      'See RFC 5321',
    ),
  );
};

export const quit: CommandHandler = (s) => {
  s.close(reply(221, '2.0.0', `${s.config.helloName} Bye`));
};
