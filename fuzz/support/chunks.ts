// Ways to cut one input into the pieces a socket might deliver. Stream parsers must give the same
// result whatever the cut; the cuts are derived from the input itself, so a seed stays a plain
// protocol transcript and a finding replays exactly.

import { mulberry32 } from '../../test/support/prng.js';

/** Deterministic 32-bit PRNG (mulberry32) seeded from the bytes (FNV-1a). */
export function prng(data: Uint8Array): () => number {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return mulberry32(h);
}

/** The whole input as one chunk, one byte per chunk, and a pseudo-random cut into 1–16 byte pieces. */
export function chunkings(data: Buffer): Buffer[][] {
  const whole = [data];
  const bytes: Buffer[] = [];
  for (let i = 0; i < data.length; i++) bytes.push(data.subarray(i, i + 1));
  const random: Buffer[] = [];
  const next = prng(data);
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(next() * 16);
    random.push(data.subarray(i, i + n));
    i += n;
  }
  return [whole, bytes, random];
}
