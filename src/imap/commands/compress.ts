// COMPRESS (RFC 4978 §3): DEFLATE is the one mechanism. Only once authenticated (so after any TLS
// negotiation, which happens before login); a second COMPRESS gets NO [COMPRESSIONACTIVE].
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';

export const compress: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const mechanism = tokenText(args.next('compression mechanism')).toUpperCase();
    args.end();
    if (mechanism !== 'DEFLATE') throw new ImapSyntaxError('Unknown compression mechanism');
    if (s.connection.compressed) throw new ImapNoError('DEFLATE active via COMPRESS', 'COMPRESSIONACTIVE');
    // §3: the OK is the last uncompressed thing the server sends.
    s.write(`${ctx.tag} OK DEFLATE active\r\n`);
    s.connection.startCompression();
    return { replied: true };
  },
};
