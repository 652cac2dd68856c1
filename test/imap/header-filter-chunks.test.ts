// HEADER.FIELDS(.NOT) filtered as the header block is read (src/imap/fetch/section.ts
// filterHeaderChunks) gives what filtering the whole block gives, however the block is cut: the
// same output as sectionBytes on the message in memory, for seeded random header blocks (folded
// lines, bare LF, lines without a colon, a last line without its line end, the blank line or none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterHeaderChunks, sectionBytes } from '../../src/imap/fetch/section.js';
import { parseMessage } from '../../src/mime/parse.js';
import { mulberry32 } from '../support/prng.js';
import { collect, cutAt, drawn, randomCuts } from '../support/cuts.js';

const PIECES = ['Subject: hi\r\n', 'X-A: 1\r\n', 'x-a: two\n', '\tfolded\r\n', ' more\r\n', 'NoColon\r\n', 'From: a@b\r\n', ':empty\r\n', 'X-B:\r\n', 'q', 'X-A: no line end'];

test('the chunked header filter agrees with filtering the whole block, however it is cut', async () => {
  const next = mulberry32(20261204);
  for (let round = 0; round < 3000; round++) {
    const head = drawn(next, PIECES, Math.floor(next() * 12));
    const ending = next() < 0.7 ? '\r\nbody\r\n' : '';
    const raw = Buffer.concat([head, Buffer.from(ending, 'latin1')]);
    const fields = [['subject', 'x-a'], ['X-B'], ['from', 'nocolon']][round % 3]!;
    const not = next() < 0.5;
    const root = parseMessage(raw).parsed.body;
    const whole = sectionBytes(raw, root, { part: [], text: not ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS', fields }, false)!;
    const block = raw.subarray(root.headerStart, root.bodyStart);
    const chunked = await collect(filterHeaderChunks(cutAt(block, randomCuts(next, block.length)), fields, not));
    assert.ok(chunked.bytes.equals(whole), `round ${round}: ${JSON.stringify(raw.toString('latin1'))} ${fields} not=${not}`);
    // Fed the whole message, it stops at the first blank line, as filtering all of it whole does.
    const all = sectionBytes(raw, { ...root, headerStart: 0, bodyStart: raw.length }, { part: [], text: not ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS', fields }, false)!;
    const fromWhole = await collect(filterHeaderChunks(cutAt(raw, randomCuts(next, raw.length)), fields, not));
    assert.ok(fromWhole.bytes.equals(all), `round ${round} (whole message): ${JSON.stringify(raw.toString('latin1'))}`);
  }
});
