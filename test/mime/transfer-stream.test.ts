// The chunk decoders of src/mime/transfer-stream.ts against decodeTransfer of the whole body: for
// bodies well and badly formed, cut into chunks at every kind of position, the pieces joined must be
// the same bytes (IMAP BINARY streams a part through them and promised its size from a first pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeTransfer } from '../../src/mime/decode.js';
import { transferDecoder } from '../../src/mime/transfer-stream.js';

/** A deterministic generator, so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function decodeInChunks(body: Buffer, encoding: string, cuts: number[]): Buffer {
  const d = transferDecoder(encoding);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    out.push(d.push(body.subarray(at, cut)));
    at = cut;
  }
  out.push(d.end());
  return Buffer.concat(out);
}

function randomCuts(n: number, rand: () => number): number[] {
  const cuts = new Set<number>();
  const count = Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) cuts.add(Math.floor(rand() * (n + 1)));
  return [...cuts].sort((a, b) => a - b);
}

/** Text made of the characters that matter to each decoder, in runs. */
function noisy(alphabet: string, length: number, rand: () => number): Buffer {
  let s = '';
  while (s.length < length) s += alphabet[Math.floor(rand() * alphabet.length)]!;
  return Buffer.from(s, 'latin1');
}

const B64_NOISE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_====\r\n \t.!\u00e9\u0000';
const QP_NOISE = 'abc=3D=0A=\r\n  \t\t==F=g\r\n\n\r\u00e9\u0000x';

for (const [encoding, alphabet] of [['base64', B64_NOISE], ['quoted-printable', QP_NOISE]] as const) {
  test(`${encoding}: decoded in chunks equals decoding the whole body`, () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const rand = rng(seed);
      const body = noisy(alphabet, Math.floor(rand() * 120), rand);
      const cuts = randomCuts(body.length, rand);
      assert.deepEqual(decodeInChunks(body, encoding, cuts), decodeTransfer(body, encoding), `seed ${seed}: ${JSON.stringify(body.toString('latin1'))} cut at ${cuts.join(',')}`);
    }
  });
}

test('base64 of a large attachment, cut at 256 KiB chunks, line-wrapped and not', () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const wrapped = Buffer.from(data.toString('base64').replace(/.{76}/g, '$&\r\n'), 'latin1');
  const cuts: number[] = [];
  for (let at = 256 * 1024; at < wrapped.length; at += 256 * 1024) cuts.push(at);
  assert.ok(decodeInChunks(wrapped, 'base64', cuts).equals(data));
});

test('quoted-printable with soft breaks and escapes across 256 KiB chunks', () => {
  const line = 'caf=C3=A9 au lait, tr=C3=A8s  =\r\nbien \t\r\n';
  const body = Buffer.from(line.repeat(Math.ceil((600 * 1024) / line.length)), 'latin1');
  const cuts: number[] = [];
  for (let at = 256 * 1024; at < body.length; at += 256 * 1024) cuts.push(at);
  assert.ok(decodeInChunks(body, 'quoted-printable', cuts).equals(decodeTransfer(body, 'quoted-printable')));
});
