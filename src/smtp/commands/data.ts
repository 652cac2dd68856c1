// DATA (RFC 5321 §4.1.1.4): the message follows, dot-stuffed, up to <CRLF>.<CRLF>.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const data: CommandHandler = (s, args) => {
  if (args !== '') return s.send(reply(501, '5.5.4', 'Syntax: DATA'));
  const tx = s.tx;
  if (!tx) return s.send(reply(503, '5.5.1', 'Need MAIL command'));
  if (tx.chunked) return s.send(reply(503, '5.5.1', 'DATA not allowed after BDAT'));
  if (tx.recipients.length === 0) return s.send(reply(554, '5.5.1', 'No valid recipients'));
  s.send(reply(354, undefined, 'Start mail input; end with <CRLF>.<CRLF>'));
  s.beginData();
};
