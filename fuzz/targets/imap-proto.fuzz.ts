// IMAP command parsing (src/imap/proto): the framer that cuts the client's byte stream into
// commands and literals, the tokenizer, the typed argument reader, sequence sets and modified UTF-7.
// The input is a client byte stream (several commands, literals included).
//
// Invariants:
//  - framing does not depend on how the bytes were cut into TCP reads, and keeps its limits;
//  - parsers refuse input only with ImapSyntaxError (a tagged BAD), never another exception;
//  - tokens written back out (as the server's serialiser writes strings) parse to the same tokens;
//  - a sequence set written back parses to the same ranges, and its resolvers agree with each other;
//  - modified UTF-7 decodes only canonical encodings: encode(decode(s)) = s, decode(encode(t)) = t;
//  - NOTIFY SET's argument parses or is refused with a tagged BAD or NO [BADEVENT] / [LIMIT] only, and
//    what it accepts is consistent (MessageNew with MessageExpunge for the selected mailbox).
import { CommandFramer, type FrameEvent, type FramerLimits, type Segment } from '../../src/imap/proto/framer.js';
import { tokenize, type Token } from '../../src/imap/proto/tokens.js';
import { Args, tokenText } from '../../src/imap/proto/args.js';
import { ImapNoError, ImapSyntaxError } from '../../src/imap/proto/errors.js';
import { parseNotifySet } from '../../src/imap/notify/spec.js';
import {
  expandBounded,
  formatSequenceSet,
  isSequenceSet,
  parseSequenceSet,
  rangesContain,
  resolveSequenceNumbers,
  type SeqRange,
} from '../../src/imap/proto/sequence.js';
import { decodeMutf7, encodeMutf7 } from '../../src/imap/proto/mutf7.js';
import { astring, imapString, toBuffer } from '../../src/imap/proto/serialize.js';
import { attempt, check, checkEqual, show } from '../support/invariant.js';
import { chunkings } from '../support/chunks.js';

/** Roomy limits, and tight ones so the refusal paths are reached by short inputs. */
const LIMITS: FramerLimits[] = [
  { maxLineLength: 8192, maxLiteralSize: 65536 },
  { maxLineLength: 40, maxLiteralSize: 12 },
];
const UNLIMITED: FramerLimits = { maxLineLength: Number.MAX_SAFE_INTEGER, maxLiteralSize: Number.MAX_SAFE_INTEGER };

/** Commands after which the server reads raw lines (SASL responses, IDLE's DONE) rather than commands. */
const LINE_COMMANDS = /^\S+ (AUTHENTICATE|IDLE)\b/i;

/** Runs the framer over `chunks` as the connection does; which mode the next read uses follows the events. */
type HeldSegment = Exclude<Segment, { kind: 'spooled' }>;
type HeldToken = Exclude<Token, { type: 'spooled' }>;

/** No sink is installed here, so every literal must stay in memory; a spooled one is a finding. */
function held(seg: Segment): HeldSegment {
  if (seg.kind === 'spooled') throw new Error('a literal was spooled although no sink was installed');
  return seg;
}

function heldToken(t: Token): HeldToken {
  if (t.type === 'spooled') throw new Error('a token was spooled although no sink was installed');
  return t;
}

function frame(chunks: Buffer[], limits: FramerLimits): FrameEvent[] {
  const framer = new CommandFramer(limits);
  const events: FrameEvent[] = [];
  let mode: 'command' | 'line' = 'command';
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let ev = framer.next(mode); ev !== null; ev = framer.next(mode)) {
      events.push(ev);
      if (ev.type === 'command') mode = LINE_COMMANDS.test(held(ev.segments[0]!).data.toString('latin1')) ? 'line' : 'command';
      else if (ev.type === 'line') mode = 'command';
    }
    check(framer.pendingBytes >= 0, 'negative pending byte count');
  }
  return events;
}

function checkLimits(events: FrameEvent[], limits: FramerLimits): void {
  for (const ev of events) {
    if (ev.type === 'command') {
      const segments = ev.segments.map(held);
      const text = segments.filter((s) => s.kind === 'text').reduce((n, s) => n + s.data.length, 0);
      check(text <= limits.maxLineLength, () => `command text of ${text} bytes passed a ${limits.maxLineLength} byte limit`);
      for (const s of segments) {
        if (s.kind === 'literal') check(s.data.length <= limits.maxLiteralSize, () => `literal of ${s.data.length} bytes passed the limit`);
        else check(!s.data.includes(0x0a), 'a text segment holds a line feed');
      }
    } else if (ev.type === 'line') {
      check(!ev.line.includes(0x0a), 'a raw line holds a line feed');
      check(ev.line.length <= limits.maxLineLength, 'a raw line passed the line limit');
    } else if (ev.type === 'continue') {
      check(ev.size <= limits.maxLiteralSize, 'continuation offered for a literal over the limit');
    }
  }
}

/** Tokens as values, without the wire form a string had (quoted, literal, literal8). */
type Shape = string | { s: string } | Shape[];
function shape(tokens: Token[]): Shape[] {
  return tokens.map(heldToken).map((t): Shape => (t.type === 'atom' ? t.value : t.type === 'string' ? { s: t.value.toString('hex') } : shape(t.items)));
}

/** Writes tokens back as a command line: atoms as they are, strings through the server's serialiser. */
function serialise(tokens: Token[], utf8: boolean): Buffer {
  const parts: Array<string | Buffer> = [];
  const write = (list: Token[]): void => {
    list.map(heldToken).forEach((t, i) => {
      if (i > 0) parts.push(' ');
      if (t.type === 'atom') parts.push(t.value);
      else if (t.type === 'string') parts.push(imapString(t.value, { utf8 }));
      else {
        parts.push('(');
        write(t.items);
        parts.push(')');
      }
    });
  };
  write(tokens);
  parts.push('\r\n');
  return toBuffer(parts);
}

function reparse(bytes: Buffer, utf8: boolean): Token[] {
  const events = frame([bytes], UNLIMITED).filter((e) => e.type === 'command');
  check(events.length === 1, () => `serialised command framed as ${events.length} commands: ${show(bytes.toString('latin1'))}`);
  return tokenize((events[0] as { segments: Segment[] }).segments, utf8);
}

function rangeText(r: SeqRange): string {
  const n = (x: number): string => (x === -1 ? '*' : String(x));
  return r.from === r.to ? n(r.from) : `${n(r.from)}:${n(r.to)}`;
}

function checkSequenceSet(text: string): void {
  const parsed = attempt(() => parseSequenceSet(text), ImapSyntaxError);
  if (!parsed.ok) return;
  check(isSequenceSet(text), () => `parseSequenceSet accepted ${show(text)} but isSequenceSet refuses it`);
  if (parsed.value.kind === 'saved') return;
  const ranges = parsed.value.ranges;
  const written = ranges.map(rangeText).join(',');
  checkEqual(parseSequenceSet(written), parsed.value, `sequence set ${show(text)} written back as ${written}`);
  for (const count of [0, 1, 2, 7]) {
    const resolved = resolveSequenceNumbers(ranges, count);
    const expected: number[] = [];
    for (let n = 1; n <= count; n++) if (rangesContain(ranges, n, count)) expected.push(n);
    checkEqual(resolved, expected, `resolveSequenceNumbers(${show(text)}, ${count}) against rangesContain`);
    if (count > 0) checkEqual(expandBounded(ranges, count), expected, `expandBounded(${show(text)}, ${count})`);
    if (resolved.length > 0) {
      const again = parseSequenceSet(formatSequenceSet(resolved));
      check(again.kind === 'ranges', 'formatted set is not ranges');
      checkEqual(resolveSequenceNumbers(again.ranges, count), resolved, `formatSequenceSet(${show(resolved)}) parsed back`);
    }
  }
}

/** No lone surrogates (those cannot be written in UTF-8 or modified UTF-7). */
function wellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

function checkMutf7(text: string): void {
  const decoded = attempt(() => decodeMutf7(text), ImapSyntaxError);
  if (decoded.ok) checkEqual(encodeMutf7(decoded.value), text, `encodeMutf7(decodeMutf7(${show(text)}))`);
  if (wellFormed(text)) checkEqual(decodeMutf7(encodeMutf7(text)), text, `decodeMutf7(encodeMutf7(${show(text)}))`);
}

/**
 * The accessor a command would use on each token, by its kind: each reads it or refuses with BAD.
 * (Errors are costly to build, so not every accessor is tried everywhere.)
 */
function checkArgs(tokens: Token[]): void {
  const args = new Args(tokens);
  while (args.remaining > 0) {
    const t = heldToken(args.peek()!);
    const before = args.remaining;
    const r = attempt(() => {
      if (t.type === 'list') return args.list();
      if (t.type === 'string') return t.value.length % 2 ? args.strictAstring() : args.bytes();
      if (/^\d+$/.test(t.value)) return args.number('number', 1_000_000);
      if (/^[\d*:,$]+$/.test(t.value)) return args.sequenceSet();
      return args.astring();
    }, ImapSyntaxError);
    if (r.ok && typeof r.value === 'number') check(Number.isSafeInteger(r.value) && r.value >= 0 && r.value <= 1_000_000, 'number() out of its range');
    // An accessor that refused a token may or may not have consumed it.
    if (!r.ok && args.remaining === before) args.next();
  }
  attempt(() => args.end(), ImapSyntaxError);
}

function walkTexts(tokens: Token[], visit: (text: string, token: Token) => void): void {
  for (const t of tokens) {
    if (t.type === 'list') walkTexts(t.items, visit);
    else visit(tokenText(t), t);
  }
}

function checkCommand(segments: Segment[]): void {
  for (const utf8 of [true, false]) {
    const parsed = attempt(() => tokenize(segments, utf8), ImapSyntaxError);
    if (!parsed.ok) continue;
    const tokens = parsed.value;
    checkEqual(shape(reparse(serialise(tokens, utf8), utf8)), shape(tokens), `tokens written back (utf8=${utf8})`);
    if (!utf8) continue;
    checkArgs(tokens);
    checkNotify(tokens);
    walkTexts(tokens, (text, token) => {
      if (text.length <= 200) {
        // Only these characters can make a sequence set; anything else is refused at the first one.
        if (/^[\d*:,$]+$/.test(text)) checkSequenceSet(text);
        checkMutf7(text);
      }
      // A mailbox name as LIST/LSUB/STATUS send it must read back as the same name.
      if (token.type === 'string' && wellFormed(text) && text.length > 0) {
        const wire = toBuffer([astring(text, { utf8: true }), '\r\n']);
        checkEqual(shape(reparse(wire, true)).map((s) => (typeof s === 'string' ? { s: Buffer.from(s).toString('hex') } : s)), [{ s: Buffer.from(text).toString('hex') }], `astring(${show(text)}) read back`);
      }
    });
  }
}

/** `tag NOTIFY SET …`: the NOTIFY argument parser refuses only with BAD or NO (a code given). */
function checkNotify(tokens: Token[]): void {
  const [, verb, sub] = tokens;
  if (verb?.type !== 'atom' || verb.value.toUpperCase() !== 'NOTIFY' || sub?.type !== 'atom' || sub.value.toUpperCase() !== 'SET') return;
  const r = attempt(() => parseNotifySet(tokens.slice(3), (wire) => wire), ImapSyntaxError, ImapNoError);
  if (!r.ok) {
    if (r.error instanceof ImapNoError) check(/^(BADEVENT \(|LIMIT$)/.test((r.error as ImapNoError).code ?? ''), () => `NOTIFY refused with NO without BADEVENT/LIMIT: ${r.error.message}`);
    return;
  }
  const sel = r.value.selected;
  if (sel) check(sel.events.has('MessageNew') === sel.events.has('MessageExpunge'), 'NOTIFY accepted MessageNew without MessageExpunge (or the reverse) for the selected mailbox');
  for (const f of r.value.filters) check(f.events.size > 0 && (f.kind === 'subtree' || f.kind === 'mailboxes' ? f.names.length > 0 : f.names.length === 0), 'NOTIFY accepted an event group without events or with misplaced names');
}

/** Events as one comparable string (cheaper than a deep comparison of Buffers). */
function signature(events: FrameEvent[]): string {
  return events
    .map((ev) => {
      if (ev.type === 'command') return `C${ev.segments.map(held).map((s) => `${s.kind === 'text' ? 't' : s.binary ? 'B' : 'L'}${s.data.toString('hex')}`).join('|')}`;
      if (ev.type === 'line') return `N${ev.line.toString('hex')}`;
      if (ev.type === 'continue') return `+${ev.size}`;
      return `R${ev.reason} ${ev.fatal} ${JSON.stringify([ev.tag, ev.command])}`;
    })
    .join('\n');
}

export function fuzz(data: Buffer): void {
  for (const limits of LIMITS) {
    const [whole, ...others] = chunkings(data).map((chunks) => frame(chunks, limits));
    const expected = signature(whole!);
    for (const events of others) if (signature(events) !== expected) checkEqual(events, whole, 'frame events depend on how the input was cut');
    checkLimits(whole!, limits);
    if (limits === LIMITS[0]) for (const ev of whole!) if (ev.type === 'command') checkCommand(ev.segments);
  }
}
