// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502), CATENATE (RFC 4469), literal8 (RFC 3516)
// and APPENDUID (RFC 4315); the messages are parsed and stored by ../append-messages.ts.
import type { CommandSpec } from '../types.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { appendMessages, appendUidCode, parseAppendMessages } from '../append-messages.js';

export const append: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const name = mailboxArg(s, args);
    const messages = parseAppendMessages(args);
    // TRYCREATE comes before any URL is looked at (RFC 4469 §5).
    const box = await findMailbox(s, name, 'TRYCREATE', 'insert');
    return { code: appendUidCode(await appendMessages(s, box, messages)), text: 'APPEND completed' };
  },
};
