// DELE, RSET and NOOP (RFC 1939 §5): deletion marks live in the session until QUIT commits them.
import { parseMessageNumber } from '../proto/command.js';
import { err, ok } from '../proto/response.js';
import { inTransaction, type CommandHandler } from './types.js';

export const dele: CommandHandler = inTransaction((s, c, drop) => {
  if (c.args.length !== 1) return s.send(err('Syntax: DELE msg'));
  const n = parseMessageNumber(c.args[0]);
  const m = n === undefined ? undefined : drop.get(n);
  if (!m) return s.send(err(n !== undefined && drop.messages[n - 1]?.deleted ? 'Message already deleted' : 'No such message'));
  m.deleted = true;
  s.send(ok(`Message ${n} deleted`));
});

export const rset: CommandHandler = inTransaction((s, c, drop) => {
  if (c.args.length !== 0) return s.send(err('Syntax: RSET'));
  drop.reset();
  const { count, octets } = drop.stat();
  s.send(ok(`${count} messages (${octets} octets)`));
});

export const noop: CommandHandler = inTransaction((s, c) => {
  if (c.args.length !== 0) return s.send(err('Syntax: NOOP'));
  s.send(ok());
});
