// decodeTransferChunks must give exactly decodeTransfer's bytes however the body is cut into chunks:
// a part download streams them with the Content-Length of the whole decoded part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransfer } from '../../src/mime/decode.js';
import { decodeTransferChunks } from '../../src/mime/transfer-stream.js';
import { mulberry32 } from '../support/prng.js';
import { collect, cutAt, drawn, randomCuts } from '../support/cuts.js';

async function streamed(body: Buffer, encoding: string, cuts: number[]): Promise<Buffer> {
  return (await collect(decodeTransferChunks(cutAt(body, cuts), encoding))).bytes;
}

// Bytes drawn from what trips decoders: escapes, soft breaks, blanks before line ends, padding mid-body, both base64 alphabets, 8-bit bytes.
const ALPHABET = ['=', '=3D', '=\r\n', '=\n', '= \r\n', '=\r\r\n', '=\r\n=\r\n', ' ', '\t', '\r\n', '\n', '\r', 'A', 'b', 'Zz9', '+/', '-_', '==', 'é', '\xff', '=4', '=G1', 'QUJD', 'YQ==', '=e9', 'f', '=a', '==41', '4', '1'];

function hostile(next: () => number, parts: number): Buffer {
  return drawn(next, ALPHABET, parts);
}

for (const encoding of ['base64', 'quoted-printable', ' Base64 ', '7bit']) {
  test(`${encoding.trim()}: streamed decoding equals decodeTransfer for any cut of hostile bodies`, async () => {
    const next = mulberry32(encoding.length * 7919);
    for (let round = 0; round < 400; round++) {
      const body = hostile(next, 1 + Math.floor(next() * 60));
      const cuts = randomCuts(next, body.length);
      assert.deepEqual(await streamed(body, encoding, cuts), decodeTransfer(body, encoding), `body ${JSON.stringify(body.toString('latin1'))} cut at ${cuts.join(',')}`);
    }
  });
}

test('a quoted-printable line longer than the long-line cut, in 256 KiB chunks, decodes exactly', async () => {
  const next = mulberry32(42);
  const body = Buffer.concat([hostile(next, 20), Buffer.from('x='.repeat(150_000), 'latin1'), Buffer.from('=41 \t'.repeat(40_000), 'latin1'), hostile(next, 20)]);
  const cuts = [];
  for (let at = 256 * 1024; at < body.length; at += 256 * 1024) cuts.push(at);
  assert.deepEqual(await streamed(body, 'quoted-printable', cuts), decodeTransfer(body, 'quoted-printable'));
  assert.deepEqual(await streamed(body, 'quoted-printable', [65_535, 65_536, 65_537, 131_073]), decodeTransfer(body, 'quoted-printable'));
});

/**
 * Decodes `chunks` copies of `chunk` fed one at a time: the output, and for each decoded piece how
 * many chunks had been read when it came out (held text shows as pieces arriving late).
 */
async function decodedAsItArrives(chunk: Buffer, chunks: number): Promise<{ out: Buffer; outputAt: number[]; whole: Buffer }> {
  let pulled = 0;
  const outputAt: number[] = [];
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks; i++) {
      pulled++;
      yield chunk;
    }
  }
  const out: Buffer[] = [];
  for await (const piece of decodeTransferChunks(source(), 'quoted-printable')) {
    out.push(piece);
    outputAt.push(pulled);
  }
  return { out: Buffer.concat(out), outputAt, whole: Buffer.concat(Array.from({ length: chunks }, () => chunk)) };
}

test('quoted-printable text of escapes and soft breaks only is decoded as it arrives, not held to its end', async () => {
  // Cyrillic text as QP writes it: every character escaped, every line ended by a soft break.
  const line = '=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82 =D0=BC=D0=B8=D1=80 =D1=81=D1=82=D1=80=D0=BE=D0=BA=D0=B0 =D0=B8 =D1=81=D0=BB=D0=BE=D0=B2=D0=BE=\r\n';
  const chunks = 8;
  const { out, outputAt, whole } = await decodedAsItArrives(Buffer.from(line.repeat(Math.ceil(65_536 / line.length)), 'latin1'), chunks);
  assert.equal(outputAt[0], 1, 'output follows the first chunk');
  assert.ok(outputAt.length >= chunks, `decoded chunk by chunk (${outputAt.length} pieces)`);
  assert.deepEqual(out, decodeTransfer(whole, 'quoted-printable'));
});

test('quoted-printable short lines, each soft-broken, and soft breaks alone are decoded as they arrive', async () => {
  // Nothing but soft breaks, or two characters per soft-broken line: no hard line break, no escape,
  // never three plain bytes in a row. Each cut after a soft break with no escape open is safe.
  for (const line of ['ab=\r\n', '=\r\n', 'x =\n']) {
    const chunks = 4;
    const { out, outputAt, whole } = await decodedAsItArrives(Buffer.from(line.repeat(Math.ceil(65_536 / line.length)), 'latin1'), chunks);
    assert.deepEqual(out, decodeTransfer(whole, 'quoted-printable'), JSON.stringify(line));
    // Soft breaks alone decode to nothing at all; the others come out chunk by chunk.
    if (line !== '=\r\n') assert.deepEqual(outputAt, [1, 2, 3, 4], `${JSON.stringify(line)} decoded chunk by chunk`);
  }
});
