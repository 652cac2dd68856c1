// QUIT (RFC 5321 §4.1.1.10): 221, then the server closes.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const quit: CommandHandler = (s) => {
  s.close(reply(221, '2.0.0', `${s.config.helloName} Bye`));
};
