// The message part of APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502), CATENATE (RFC 4469)
// and literal8 (RFC 3516), shared by APPEND and REPLACE (RFC 8508 §3, whose message takes the APPEND
// syntax). Every message is parsed and assembled before the first is stored, and the store appends
// them all or none. Large message literals arrive as spool files (./literal-spool.ts) and reach the
// store as files: the store renames them into place.
import type { ImapSession } from './session.js';
import type { Args } from './proto/args.js';
import { ImapNoError, ImapSyntaxError } from './proto/errors.js';
import { tokenText } from './proto/args.js';
import { parseFlags } from './flags.js';
import { parseDateTime } from './datetime.js';
import { encodeBinaryParts } from './binary-append.js';
import { catenate, type CatenatePart } from './catenate.js';
import { encodeSpooledBinary, finishLiteral, spoolWriterOf } from './spooled-literal.js';
import { formatSequenceSet } from './proto/sequence.js';
import type { OwnedMailbox } from './mailbox-name.js';
import type { AppendOptions, AppendResult, IncomingMessage, SpooledMessage } from '../store/index.js';

export interface PendingMessage {
  flags: string[];
  date?: Date;
  raw?: Buffer;
  /** The message literal went to a spool file; `binary`: it was a literal8. */
  spooled?: { message: IncomingMessage; binary: boolean };
  parts?: CatenatePart[];
}

/** The messages of an APPEND-style command, up to the end of its arguments (checked, not stored). */
export function parseAppendMessages(args: Args): PendingMessage[] {
  const messages: PendingMessage[] = [];
  while (args.remaining > 0) {
    let flags: string[] = [];
    let date: Date | undefined;
    if (args.peek()?.type === 'list') flags = parseFlags(args.list());
    const t = args.peek();
    if (t && t.type === 'string' && !t.literal) date = parseDateTime(t.value.toString('latin1'));
    if (date) args.next();
    const msg = args.next('message literal');
    if (msg.type === 'atom' && msg.value.toUpperCase() === 'CATENATE') {
      const list = args.list('CATENATE parts');
      const parts: CatenatePart[] = [];
      for (let i = 0; i < list.length; i += 2) {
        const kind = tokenText(list[i]!).toUpperCase();
        const v = list[i + 1];
        if (!v || v.type === 'list') throw new ImapSyntaxError('Invalid CATENATE part');
        if (kind === 'TEXT') {
          if (v.type === 'spooled') {
            if (spoolWriterOf(v.message).containsNul) throw new ImapNoError('Text contains NUL', 'UNKNOWN-CTE');
            parts.push({ kind: 'spooled', message: spoolWriterOf(v.message) });
            continue;
          }
          if (v.type !== 'string' || !v.literal) throw new ImapSyntaxError('CATENATE TEXT needs a literal');
          if (v.value.includes(0)) throw new ImapNoError('Text contains NUL', 'UNKNOWN-CTE');
          parts.push({ kind: 'text', data: v.value });
        } else if (kind === 'URL') parts.push({ kind: 'url', url: tokenText(v) });
        else throw new ImapSyntaxError(`Unknown CATENATE part ${kind.slice(0, 20)}`);
      }
      if (parts.length === 0) throw new ImapSyntaxError('Empty CATENATE');
      messages.push({ flags, parts, ...(date ? { date } : {}) });
      continue;
    }
    if (msg.type === 'spooled') {
      const message = spoolWriterOf(msg.message);
      if (!msg.binary && message.containsNul) throw new ImapNoError('Message contains NUL; use literal8', 'UNKNOWN-CTE');
      if (msg.size === 0) throw new ImapNoError('Empty message', 'CANNOT');
      messages.push({ flags, spooled: { message, binary: msg.binary }, ...(date ? { date } : {}) });
      continue;
    }
    if (msg.type !== 'string' || !msg.literal) throw new ImapSyntaxError('Message must be a literal');
    if (!msg.binary && msg.value.includes(0)) throw new ImapNoError('Message contains NUL; use literal8', 'UNKNOWN-CTE');
    if (msg.value.length === 0) throw new ImapNoError('Empty message', 'CANNOT');
    messages.push({ flags, raw: msg.binary ? encodeBinaryParts(msg.value) : msg.value, ...(date ? { date } : {}) });
  }
  if (messages.length === 0) throw new ImapSyntaxError('Missing message literal');
  return messages;
}

/** Assembles the messages (CATENATE, literal8 re-encoding) and appends them all to one mailbox (maybe another user's). */
export async function appendMessages(s: ImapSession, box: OwnedMailbox, messages: PendingMessage[], options: AppendOptions = {}): Promise<AppendResult[]> {
  // Spool files made here (CATENATE results, re-encoded literal8s); the literals' own files are
  // removed by the dispatcher once the command is done. Files the store took are left alone.
  const made: SpooledMessage[] = [];
  try {
    const sources: Array<Buffer | SpooledMessage> = [];
    for (const m of messages) {
      let source: Buffer | SpooledMessage;
      if (m.parts) made.push((source = await catenate(s, m.parts, s.config.maxLiteralSize)));
      else if (m.spooled) {
        source = await finishLiteral(s, m.spooled.message);
        if (m.spooled.binary && m.spooled.message.containsNul) made.push((source = await encodeSpooledBinary(s, source)));
      } else source = m.raw!;
      if ((Buffer.isBuffer(source) ? source.length : source.size) === 0) throw new ImapNoError('Empty message', 'CANNOT');
      sources.push(source);
    }
    // Into the mailbox this session has selected read-write: its next refresh would claim the new
    // messages' \Recent (./refresh.ts); the store may claim them in the append's own transaction.
    const view = s.selected;
    const claimsRecent = view !== undefined && !view.readOnly && !s.rev2 && view.mailboxId === box.id && box.owner === s.account;
    const results = await s.store.appendMany(
      box.owner,
      messages.map((m, k) => ({ mailboxIds: [box.id], bytes: sources[k]!, flags: m.flags, ...(m.date ? { receivedAt: m.date } : {}) })),
      { ...options, origin: s.id, ...(claimsRecent ? { claimRecentIn: box.id } : {}) },
    );
    if (claimsRecent) for (const r of results) if (r.placements[0]!.recent) view.recentAhead.add(r.placements[0]!.uid);
    return results;
  } finally {
    for (const file of made) await file.discard();
  }
}

/** The APPENDUID response code (RFC 4315 §3) of appended messages. */
export function appendUidCode(results: readonly AppendResult[]): string {
  const uids = results.map((r) => r.placements[0]!.uid);
  return `APPENDUID ${results[0]!.placements[0]!.uidValidity} ${formatSequenceSet(uids)}`;
}
