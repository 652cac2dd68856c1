// The structure parser reads the message Buffer itself (no latin1 copy of the whole message): its
// results must be the ones the latin1 view gave. Header blocks are compared with parseHeaderBlock
// over the latin1 view for every range of edge-case bytes; whole structures of big and hostile
// messages are checked part by part against what the latin1 view of each part says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock, parseHeaderBlockOf } from '../../src/mime/headers.js';
import { parseStructure } from '../../src/mime/structure.js';
import type { MimePart } from '../../src/mime/types.js';
import { deepMessages, deepNesting, manyParts } from '../support/hostile-messages.js';

test('a header block read from the bytes equals the one read from the latin1 view, for every range', () => {
  const samples = [
    'Subject: x\r\nX-A: 1\r\n  folded\r\n\r\nbody\r\n',
    'From: a\nTo: b\n\nbody\nmore\n',
    'not a header line\r\nSubject: y\r\n\r\nbody',
    '\r\nbody without headers\r\n',
    'Name : spaced\r\nbad line\r\nX: 2\r\n\r',
    'X:\r\r\nY: bare CR\r\n\r\n',
    'Subject: 8-bit ' + 'é€'.repeat(3) + '\r\n\r\n\xff',
    ' starts folded: no\r\n\r\n',
    'A: no blank line at all',
  ].map((s) => Buffer.from(s, 'utf8'));
  for (const bytes of samples) {
    const bin = bytes.toString('latin1');
    for (let start = 0; start <= bytes.length; start++) {
      for (let end = start; end <= bytes.length; end++) {
        assert.deepEqual(parseHeaderBlockOf(bytes, start, end), parseHeaderBlock(bin, start, end), `${JSON.stringify(bin)} [${start}, ${end})`);
      }
    }
  }
});

const latin1Lines = (s: string): number => (s.length === 0 ? 0 : s.split('\n').length - (s.endsWith('\n') ? 1 : 0));
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Checks `part` and everything under it against the latin1 view `bin` of the message. */
function checkPart(bin: string, part: MimePart): number {
  let checked = 1;
  if (part.headerStart < part.bodyStart) {
    const block = parseHeaderBlock(bin, part.headerStart, part.end);
    assert.equal(part.bodyStart, block.bodyStart, `part ${part.partId}: body start`);
    assert.deepEqual(part.headers, block.headers, `part ${part.partId}: headers`);
  }
  if (part.lines !== null) assert.equal(part.lines, latin1Lines(bin.slice(part.bodyStart, part.end)), `part ${part.partId}: lines`);
  const boundary = part.params.boundary;
  if (part.type === 'multipart' && boundary && part.children.length > 1) {
    // Between consecutive parts lies exactly one delimiter line; each part starts after one.
    const between = new RegExp(`^\\r?\\n--${escape(boundary)}[ \\t]*\\r?\\n$`);
    for (let i = 1; i < part.children.length; i++) {
      const gap = bin.slice(part.children[i - 1]!.end, part.children[i]!.headerStart);
      assert.match(gap, between, `part ${part.partId}: between children ${i} and ${i + 1}`);
    }
    const before = bin.slice(part.bodyStart, part.children[0]!.headerStart);
    assert.match(before, new RegExp(`(^|\\n)--${escape(boundary)}[ \\t]*\\r?\\n$`), `part ${part.partId}: before the first child`);
  }
  for (const child of part.children) checked += checkPart(bin, child);
  if (part.message) checked += checkPart(bin, part.message.body);
  return checked;
}

function checkStructure(name: string, bytes: Buffer, minParts: number): void {
  const s = parseStructure(bytes);
  const bin = bytes.toString('latin1');
  const top = parseHeaderBlock(bin, 0, bin.length);
  assert.deepEqual(s.headers, top.headers, `${name}: message headers`);
  assert.ok(checkPart(bin, s.body) >= minParts, `${name}: parts checked`);
}

const b64 = (buf: Buffer): string => buf.toString('base64').replace(/.{76}/g, '$&\r\n');

test('big and tricky messages: every part as the latin1 view of the message gives it', () => {
  const text = 'Ligne: le renard brun saute — 5 € par-dessus le chien.\r\n'.repeat(60000);
  const attachment = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 1 }, (_, i) => (i * 131) & 255));
  const inner = [
    'Subject: inner ü',
    'Content-Type: multipart/alternative; boundary="in"',
    '',
    'preamble --in not at a line start',
    '--in',
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    '--inner-longer-boundary is not ours',
    '--in  ',
    'Content-Type: text/html',
    '',
    '<p>' + 'x'.repeat(100000) + '</p>',
    '--in--',
  ].join('\r\n');
  const message = Buffer.from(
    [
      'From: a@example.com',
      'Subject: big ' + '日本'.repeat(10),
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: message/rfc822',
      '',
      inner,
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      b64(attachment),
      '--b',
      'no header here, and bare LF lines\nnext\n\nlast',
      '--b',
      '',
      'a part with an empty header block',
      '--b--',
      'epilogue',
    ].join('\r\n'),
    'utf8',
  );
  checkStructure('mixed', message, 8);
  checkStructure('LF only', Buffer.from(message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), 8);
  checkStructure('many parts', manyParts(5000), 2000);
  checkStructure('deep nesting', deepNesting(100), 40);
  checkStructure('deep messages', deepMessages(100), 40);
});
