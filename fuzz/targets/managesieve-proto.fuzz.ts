// ManageSieve line grammar and responses (src/managesieve/proto): the input is what a client sends on
// one connection, read as lines the way the session reads them.
//
// Invariants:
//  - the lines read do not depend on how the bytes were cut into reads;
//  - the scanner never throws, gives the same answer for the same line, announces a literal only at
//    the end of a line, and every number it reads is within RFC 5804's range;
//  - a string the server writes (quoted or literal) reads back as the same text: a quoted one scans to
//    one string token, a literal announces exactly its octets;
//  - a NO built from client text stays one response (its status line ends the text it was given).
import { scanLine } from '../../src/managesieve/proto/tokens.js';
import { no, str } from '../../src/managesieve/proto/response.js';
import { check, checkEqual, show } from '../support/invariant.js';
import { linesOfEveryCut } from '../support/lines.js';

const LINE_LIMIT = 4096;

function checkWritten(text: string): void {
  const wire = str(text);
  const octets = Buffer.byteLength(text, 'utf8');
  const literal = /^\{(\d+)\}\r\n/.exec(wire);
  if (literal) {
    checkEqual(Number(literal[1]), octets, 'a literal announces its octets');
    checkEqual(wire.slice(literal[0].length), text, 'a literal carries the text');
    return;
  }
  check(!/[\r\n]/.test(wire), () => `a quoted string holds a line break: ${show(wire)}`);
  const scanned = scanLine(Buffer.from(wire, 'utf8'));
  check(scanned.ok && scanned.tokens.length === 1 && scanned.tokens[0]!.kind === 'string', () => `quoted string does not scan back: ${show(wire)}`);
  checkEqual(scanned.tokens[0]!.kind === 'string' ? scanned.tokens[0]!.value.toString('utf8') : undefined, text, 'quoted string reads back');
}

export function fuzz(data: Buffer): void {
  const { lines } = linesOfEveryCut(data, LINE_LIMIT);
  for (const line of lines) {
    const bytes = Buffer.from(line, 'latin1');
    const scanned = scanLine(bytes);
    checkEqual(scanLine(Buffer.from(bytes)), scanned, 'same line, same answer');
    if (scanned.ok) {
      for (const t of scanned.tokens) if (t.kind === 'number') check(t.value >= 0 && t.value <= 4294967295, `number out of range: ${t.value}`);
      if (scanned.literal) check(/\{[0-9]+\+?\}$/.test(line), () => `literal announced mid-line: ${show(line)}`);
    }
    const text = bytes.toString('utf8');
    checkWritten(text);
    const reply = no(text.slice(0, 200));
    check(reply.startsWith('NO ') && reply.endsWith('\r\n'), () => `NO broke: ${show(reply)}`);
  }
}
