// mulberry32: a small seeded generator, the same sequence on every run and Node version, so a
// failing random case (tests, benches, fuzz cuts) can be replayed from its seed.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` bytes from mulberry32(seed): random-looking content (attachments, bodies) the same on every run. */
export function seededBytes(size: number, seed: number): Buffer {
  const next = mulberry32(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(next() * 256);
  return out;
}
