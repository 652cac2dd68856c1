// ID (RFC 2971): logs what the client says about itself and answers with the server's name.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';

export const id: CommandSpec = {
  states: ['notauth', 'auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const t = args.next('ID parameters');
    args.end();
    if (t.type === 'list') {
      if (t.items.length % 2 !== 0 || t.items.length > 60) throw new ImapSyntaxError('Invalid ID parameter list');
      const fields: Record<string, string> = {};
      for (let i = 0; i < t.items.length; i += 2) {
        const v = t.items[i + 1]!;
        fields[tokenText(t.items[i]!).slice(0, 30)] = v.type === 'atom' && v.value.toUpperCase() === 'NIL' ? '' : tokenText(v).slice(0, 1024);
      }
      s.logger.debug({ clientId: fields }, 'imap client ID');
    } else if (!(t.type === 'atom' && t.value.toUpperCase() === 'NIL')) {
      throw new ImapSyntaxError('ID expects a list or NIL');
    }
    s.untagged('ID ("name" "Tessera" "vendor" "Tessera")');
  },
};
