// The mbox writer streams a message a piece at a time (tessera export): however the bytes are cut, the
// entry must be what converting the message whole gives (mboxrd quoting of (">"*)"From " at every
// line start, JS's ^ following CR as well; CRLF → LF; a blank line after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mboxEntry } from '../../src/store/mbox/mbox-writer.js';
import { mulberry32 } from '../support/prng.js';
import { collect, cutAt, drawn, randomCuts } from '../support/cuts.js';

const DATE = new Date('2026-03-04T05:06:07Z');

/** The conversion of a whole message, as the writer did it before it streamed. */
function wholeEntry(bytes: Buffer, sender: string): Buffer {
  const text = bytes.toString('latin1').replace(/\r\n/g, '\n');
  const body = text.replace(/^(>*From )/gm, '>$1');
  return Buffer.from(`From ${sender} Wed Mar  4 05:06:07 2026\n` + body + (body.endsWith('\n') ? '' : '\n') + '\n', 'latin1');
}

let piecesOut = 0;

async function streamed(bytes: Buffer, cuts: number[]): Promise<Buffer> {
  const out = await collect(mboxEntry(cutAt(bytes, cuts), 'a@b.example', DATE));
  piecesOut = out.pieces;
  return out.bytes;
}

const ALPHABET = ['From ', '>From ', '>>', '>', 'F', 'Fro', 'rom ', '\r\n', '\r', '\n', 'x', 'hello world ', 'é'];

test('streamed mbox entries equal whole conversion for any cut of hostile messages', async () => {
  const next = mulberry32(2026);
  for (let round = 0; round < 3000; round++) {
    const bytes = drawn(next, ALPHABET, Math.floor(next() * 40));
    const text = bytes.toString('latin1');
    const cuts = randomCuts(next, bytes.length);
    assert.deepEqual(await streamed(bytes, cuts), wholeEntry(bytes, 'a@b.example'), `${JSON.stringify(text)} cut at ${cuts.join(',')}`);
  }
});

test('a long line without line breaks is cut inside, in 256 KiB chunks, with the same output', async () => {
  const bytes = Buffer.from('From: x\r\n\r\n' + 'abc From def >From '.repeat(60_000) + '\r\nFrom the end\r\n', 'latin1');
  const cuts: number[] = [];
  for (let at = 256 * 1024; at < bytes.length; at += 256 * 1024) cuts.push(at);
  assert.deepEqual(await streamed(bytes, cuts), wholeEntry(bytes, 'a@b.example'));
  // Separator, one piece per chunk (the line was not held whole), the rest, the blank line.
  assert.ok(piecesOut >= cuts.length + 1, `${piecesOut} pieces`);
});
