// QUIT (RFC 1939 §6): after login, the UPDATE state removes the messages marked deleted, so IMAP
// and JMAP see them gone; before login it just says goodbye.
import { err, ok } from '../proto/response.js';
import type { CommandHandler } from './types.js';

export const quit: CommandHandler = async (s) => {
  const drop = s.maildrop;
  if (!drop) return s.close(ok('Bye'));
  try {
    const removed = await drop.commit(s.deps.store);
    s.log.info({ user: drop.account, removed }, 'maildrop updated');
    s.close(ok(`Bye, ${removed} messages deleted`));
  } catch (e) {
    s.log.error({ err: e, user: drop.account }, 'could not remove the deleted messages');
    s.close(err('Some deleted messages not removed', 'SYS/TEMP'));
  }
};
