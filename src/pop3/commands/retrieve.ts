// RETR and TOP (RFC 1939 §7): the message streamed from the store slice by slice through the
// byte-stuffer, so neither a large message nor a whole mailbox is ever held in memory.
import { parseLineCount, parseMessageNumber } from '../proto/command.js';
import { err, ok } from '../proto/response.js';
import { DotStuffer } from '../proto/stuffer.js';
import type { DropMessage } from '../maildrop.js';
import type { Pop3Session } from '../session.js';
import { inTransaction, type CommandHandler } from './types.js';

/** Bytes read from the store per slice. */
const SLICE = 64 * 1024;

async function send(s: Pop3Session, m: DropMessage, bodyLines?: number): Promise<void> {
  const drop = s.maildrop!;
  // The first slice is read before +OK: a message another session expunged gets -ERR, not a torn body.
  let slice = await s.deps.store.readMessage(drop.account, m.emailId, { start: 0, end: Math.min(SLICE, m.size) });
  if (slice === null) return s.send(err('Message was removed by another session'));
  s.send(ok(`${m.size} octets`));
  const stuffer = new DotStuffer(bodyLines);
  let at = 0;
  for (;;) {
    at += slice.length;
    const out = stuffer.push(slice);
    if (out.length > 0) await s.writeBytes(out);
    if (s.closed || stuffer.finished || at >= m.size || slice.length === 0) break;
    slice = await s.deps.store.readMessage(drop.account, m.emailId, { start: at, end: Math.min(at + SLICE, m.size) });
    // Removed mid-way: end the response cleanly; the client got a truncated message, as from Dovecot.
    if (slice === null) break;
  }
  if (!s.closed) await s.writeBytes(stuffer.end());
}

export const retr: CommandHandler = inTransaction(async (s, c, drop) => {
  if (c.args.length !== 1) return s.send(err('Syntax: RETR msg'));
  const n = parseMessageNumber(c.args[0]);
  const m = n === undefined ? undefined : drop.get(n);
  if (!m) return s.send(err('No such message'));
  await send(s, m);
});

export const top: CommandHandler = inTransaction(async (s, c, drop) => {
  if (c.args.length !== 2) return s.send(err('Syntax: TOP msg n'));
  const n = parseMessageNumber(c.args[0]);
  const lines = parseLineCount(c.args[1]);
  if (lines === undefined) return s.send(err('Syntax: TOP msg n'));
  const m = n === undefined ? undefined : drop.get(n);
  if (!m) return s.send(err('No such message'));
  await send(s, m, lines);
});
