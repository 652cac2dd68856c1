// POP3 command parsing and message byte-stuffing (src/pop3/proto): the input is both what a client
// sends on one connection (read as command lines, as the session reads them) and a stored message
// sent by RETR and TOP.
//
// Invariants:
//  - the lines read do not depend on how the bytes were cut into reads;
//  - the parser never throws, and gives the same answer for the same line;
//  - a status line built from client text stays one line;
//  - the stuffed message does not depend on how the store slices were cut, no body line is a lone
//    ".", it ends with CRLF "." CRLF, and a client's un-stuffing gives the message's lines back;
//  - TOP n passes the header and at most n body lines, a prefix of what RETR passes.
import { parseCommandLine } from '../../src/pop3/proto/command.js';
import { err } from '../../src/pop3/proto/response.js';
import { DotStuffer } from '../../src/pop3/proto/stuffer.js';
import { check, checkEqual, show } from '../support/invariant.js';
import { linesOfEveryCut } from '../support/lines.js';

const LINE_LIMIT = 255;

function stuff(chunks: Buffer[], bodyLines?: number): string {
  const s = new DotStuffer(bodyLines);
  const parts: Buffer[] = [];
  for (const c of chunks) {
    if (s.finished) break;
    parts.push(s.push(c));
  }
  parts.push(s.end());
  return Buffer.concat(parts).toString('latin1');
}

function checkStuffed(wire: string, message: string): void {
  check(wire.endsWith('.\r\n'), 'no terminator');
  const body = wire.slice(0, -3);
  check(body === '' || body.endsWith('\r\n') || body.endsWith('\n'), () => `terminator not on its own line: ${show(wire.slice(-20))}`);
  const lines = body.split('\n');
  lines.pop();
  for (const l of lines) check(l.replace(/\r$/, '') !== '.', 'a body line is a lone dot');
  const unstuffed = lines.map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\n');
  const expected = message.endsWith('\n') || message === '' ? message : `${message}\r\n`;
  checkEqual(unstuffed + (lines.length > 0 ? '\n' : ''), expected, 'un-stuffing gives the message back');
}

export function fuzz(data: Buffer): void {
  const { cuts, lines } = linesOfEveryCut(data, LINE_LIMIT);
  for (const line of lines) {
    const bytes = Buffer.from(line, 'latin1');
    const parsed = parseCommandLine(bytes);
    checkEqual(parseCommandLine(Buffer.from(bytes)), parsed, 'same line, same answer');
    const text = err(parsed.ok ? parsed.rest : parsed.message);
    check(text.indexOf('\n') === text.length - 1, () => `status line broke: ${show(text)}`);
  }
  const message = data.toString('latin1');
  const [retr, ...retrOthers] = cuts.map((c) => stuff(c));
  for (const r of retrOthers) checkEqual(r, retr, 'RETR output depends on the store slices');
  checkStuffed(retr!, message);
  const n = data.length % 5;
  const [topWhole, ...topOthers] = cuts.map((c) => stuff(c, n));
  for (const t of topOthers) checkEqual(t, topWhole, 'TOP output depends on the store slices');
  const topBody = topWhole!.slice(0, -3);
  check(retr!.startsWith(topBody.endsWith('\n') || topBody === '' ? topBody : topBody.slice(0, topBody.lastIndexOf('\n') + 1)), 'TOP is not a prefix of RETR');
}
