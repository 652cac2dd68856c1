// STAT, LIST and UIDL (RFC 1939 §5, §7): sizes in octets as stored, UIDLs from UIDVALIDITY and UID.
// Messages marked deleted are left out, and naming one is an error.
import { parseMessageNumber } from '../proto/command.js';
import { err, multiline, ok } from '../proto/response.js';
import type { DropMessage } from '../maildrop.js';
import { inTransaction, type CommandHandler } from './types.js';

export const stat: CommandHandler = inTransaction((s, c, drop) => {
  if (c.args.length !== 0) return s.send(err('Syntax: STAT'));
  const { count, octets } = drop.stat();
  s.send(ok(`${count} ${octets}`));
});

function scanListing(what: (m: DropMessage) => string | number, verb: string): CommandHandler {
  return inTransaction((s, c, drop) => {
    if (c.args.length > 1) return s.send(err(`Syntax: ${verb} [msg]`));
    if (c.args.length === 1) {
      const n = parseMessageNumber(c.args[0]);
      const m = n === undefined ? undefined : drop.get(n);
      if (!m) return s.send(err('No such message'));
      return s.send(ok(`${n} ${what(m)}`));
    }
    const lines: string[] = [];
    for (const [n, m] of drop.live()) lines.push(`${n} ${what(m)}`);
    s.send(multiline(ok(`${lines.length} messages`), lines));
  });
}

export const list = scanListing((m) => m.size, 'LIST');
export const uidl = scanListing((m) => m.uidl, 'UIDL');
