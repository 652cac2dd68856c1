// BDAT (RFC 3030 CHUNKING). The chunk's bytes follow the command line immediately, so even a refused
// BDAT must have its chunk read and dropped, or the bytes would be misread as commands.
import { parseBdatArgs } from '../proto/bdat.js';
import { reply, type SmtpReply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

export const bdat: CommandHandler = (s, args) => {
  const parsed = parseBdatArgs(args);
  if (!parsed.ok) {
    // Without a size the chunk cannot be skipped; the client's next bytes are read as commands.
    return s.send(reply(501, '5.5.4', parsed.message));
  }
  const tx = s.tx;
  let refusal: SmtpReply | undefined;
  if (!tx) refusal = reply(503, '5.5.1', 'Need MAIL command');
  else if (tx.recipients.length === 0) refusal = reply(554, '5.5.1', 'No valid recipients');
  if (refusal || !tx) {
    s.beginChunk(parsed.size, parsed.last, refusal);
    return;
  }
  tx.chunked ??= s.spoolMessage();
  s.beginChunk(parsed.size, parsed.last);
};
