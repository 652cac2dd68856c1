// NOOP (RFC 5321 §4.1.1.9): any argument is ignored.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const noop: CommandHandler = (s) => {
  s.send(reply(250, '2.0.0', 'Ok'));
};
