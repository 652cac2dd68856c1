// SMTP command parsing (src/smtp/proto): the input is what a client sends on one connection. It is
// read as the session reads it (command lines, DATA until its terminator, BDAT chunks by count) and
// every command line goes through the command, path and BDAT parsers.
//
// Invariants:
//  - what is read (lines, message bodies, chunks) does not depend on how the bytes were cut into reads;
//  - the parsers never throw: they answer with a result the session turns into a 5xx reply;
//  - an accepted address is within RFC 5321 sizes and parses back to itself;
//  - DATA output has only CRLF line ends, and dot-stuffing it again decodes to the same bytes;
//  - a reply built from client text stays one reply (no CR or LF smuggled into it).
import { ByteQueue } from '../../src/net/byte-queue.js';
import { DataDecoder } from '../../src/smtp/proto/data-decoder.js';
import { KNOWN_VERBS, parseCommandLine } from '../../src/smtp/proto/command.js';
import { parseMailbox, parsePathArgument, unquoteLocalPart, type PathResult } from '../../src/smtp/proto/path.js';
import { parseBdatArgs } from '../../src/smtp/proto/bdat.js';
import { formatReply, reply } from '../../src/smtp/proto/reply.js';
import { check, checkEqual, show } from '../support/invariant.js';
import { chunkings } from '../support/chunks.js';

/** The session's slice size is 64 KiB; a small one here makes slices end inside terminators. */
const SLICE = 7;
const LINE_LIMITS = [65536, 40];

type Item =
  | { kind: 'line'; line: string; bareLf: boolean }
  | { kind: 'too-long' }
  | { kind: 'data'; bytes: string; done: boolean }
  | { kind: 'bdat'; bytes: string; done: boolean };

type Mode = { kind: 'command' } | { kind: 'data'; decoder: DataDecoder; out: Buffer[] } | { kind: 'bdat'; remaining: number; out: Buffer[] };

/** Reads `chunks` as the session does and returns what it read. */
function read(chunks: Buffer[], lineLimit: number): Item[] {
  const q = new ByteQueue();
  const items: Item[] = [];
  // Declared through `as`: the closure below reassigns it, which narrowing would not see.
  let mode = { kind: 'command' } as Mode;
  const step = (): boolean => {
    if (mode.kind === 'command') {
      const r = q.takeLine(lineLimit);
      if (r.kind === 'incomplete') return false;
      if (r.kind === 'too-long') {
        items.push({ kind: 'too-long' });
        return true;
      }
      check(!r.line.includes(0x0a), 'a command line holds a line feed');
      check(r.line.length + (r.bareLf ? 1 : 2) <= lineLimit, () => `a ${r.line.length} byte line passed a ${lineLimit} byte limit`);
      items.push({ kind: 'line', line: r.line.toString('latin1'), bareLf: r.bareLf });
      const parsed = parseCommandLine(r.line);
      if (parsed.ok && parsed.verb === 'DATA') mode = { kind: 'data', decoder: new DataDecoder(), out: [] };
      if (parsed.ok && parsed.verb === 'BDAT') {
        const b = parseBdatArgs(parsed.args);
        if (b.ok) mode = { kind: 'bdat', remaining: b.size, out: [] };
      }
      return true;
    }
    if (q.length === 0 && !(mode.kind === 'bdat' && mode.remaining === 0)) return false;
    if (mode.kind === 'data') {
      const slice = q.takeBytes(SLICE);
      const { done, consumed, output } = mode.decoder.feed(slice);
      check(consumed <= slice.length && (done || consumed === slice.length), 'DATA decoder consumed a wrong byte count');
      if (done) q.unshift(slice.subarray(consumed));
      mode.out.push(output);
      if (done) {
        items.push({ kind: 'data', bytes: Buffer.concat(mode.out).toString('latin1'), done: true });
        mode = { kind: 'command' };
      }
      return true;
    }
    const bytes = q.takeBytes(Math.min(mode.remaining, SLICE));
    mode.remaining -= bytes.length;
    mode.out.push(bytes);
    if (mode.remaining === 0) {
      items.push({ kind: 'bdat', bytes: Buffer.concat(mode.out).toString('latin1'), done: true });
      mode = { kind: 'command' };
    }
    return true;
  };
  for (const chunk of chunks) {
    q.push(chunk);
    while (step()) {
      // each step consumes input or changes mode
    }
  }
  // What is still pending when the client stops, so a difference there shows too.
  if (mode.kind !== 'command') items.push({ kind: mode.kind, bytes: Buffer.concat(mode.out).toString('latin1'), done: false });
  return items;
}

function checkPath(args: string, prefix: 'FROM' | 'TO', allowNull: boolean): void {
  const r: PathResult = parsePathArgument(args, prefix, allowNull);
  if (!r.ok) {
    check([501, 553, 555].includes(r.code) && /^5\.\d\.\d+$/.test(r.enhanced), () => `bad refusal ${show(r)}`);
    return;
  }
  for (const [key, value] of r.params) {
    check(/^[A-Z0-9][A-Z0-9-]*$/.test(key), () => `parameter name ${show(key)} not upper-case keyword`);
    check(value === true || (!/[=\s]/.test(value) && value !== ''), () => `parameter value ${show(value)}`);
  }
  const m = r.mailbox;
  if (m === null) {
    check(allowNull, 'null path accepted where it is not allowed');
    return;
  }
  unquoteLocalPart(m.localPart);
  if (m.domain === '') {
    checkEqual(m, { address: 'postmaster', localPart: 'postmaster', domain: '', utf8: false }, 'domain-less address');
    check(!allowNull, 'domain-less postmaster accepted as a sender');
    return;
  }
  checkEqual(m.address, `${m.localPart}@${m.domain}`, 'address is local@domain');
  check(Buffer.byteLength(m.localPart) <= 64, () => `local part of ${Buffer.byteLength(m.localPart)} bytes accepted`);
  check(Buffer.byteLength(m.domain) <= 255, () => `domain of ${Buffer.byteLength(m.domain)} bytes accepted`);
  checkEqual(m.utf8, /[^\x00-\x7f]/.test(m.address), `utf8 flag of ${show(m.address)}`);
  checkEqual(parseMailbox(m.address), m, `address ${show(m.address)} parsed again`);
}

/** Writes `message` (CRLF lines) back as DATA would carry it: dot-stuffed, then the terminator. */
function dotStuff(message: string): Buffer {
  const stuffed = message.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(`${stuffed}.\r\n`, 'latin1');
}

function checkData(bytes: string): void {
  check(!/(^|[^\r])\n/.test(bytes), () => `DATA output holds a bare LF: ${show(bytes.slice(0, 200))}`);
  check(bytes === '' || bytes.endsWith('\r\n'), 'DATA output does not end in CRLF');
  const again = new DataDecoder().feed(dotStuff(bytes));
  check(again.done, 'dot-stuffed message has no terminator');
  checkEqual(again.output.toString('latin1'), bytes, 'message dot-stuffed and decoded again');
}

function checkLine(line: string): void {
  const parsed = parseCommandLine(Buffer.from(line, 'latin1'));
  if (!parsed.ok) {
    if (parsed.reason === 'unknown') check(parsed.verb.length <= 32 && !(KNOWN_VERBS as readonly string[]).includes(parsed.verb), 'known verb reported unknown');
    return;
  }
  check(!/^[ \t]|[ \t]$/.test(parsed.args), () => `arguments ${show(parsed.args)} not trimmed`);
  const text = formatReply(reply(250, '2.1.0', parsed.args, `${parsed.verb} ${parsed.args}`));
  check(/^250-2\.1\.0( [^\r\n]*)?\r\n250 2\.1\.0( [^\r\n]*)?\r\n$/.test(text), () => `reply text broke out of its lines: ${show(text)}`);
  if (parsed.verb === 'MAIL') checkPath(parsed.args, 'FROM', true);
  if (parsed.verb === 'RCPT') checkPath(parsed.args, 'TO', false);
  if (parsed.verb === 'BDAT') {
    const b = parseBdatArgs(parsed.args);
    if (b.ok) check(Number.isSafeInteger(b.size) && b.size >= 0, () => `BDAT size ${b.size}`);
  }
}

export function fuzz(data: Buffer): void {
  for (const limit of LINE_LIMITS) {
    const [whole, ...others] = chunkings(data).map((chunks) => read(chunks, limit));
    for (const items of others) checkEqual(items, whole, 'what was read depends on how the input was cut');
    if (limit !== LINE_LIMITS[0]) continue;
    for (const item of whole!) {
      if (item.kind === 'line') checkLine(item.line);
      else if (item.kind === 'data' && item.done) checkData(item.bytes);
    }
  }
}
