// Bytes cut into chunks at chosen or random offsets, for tests of stream transforms that must give
// the same output however their input is split.

/** `bytes` as chunks ending at each of the ascending `cuts`, then the rest. */
export async function* cutAt(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
}

/** Up to 7 ascending offsets in [0, length], drawn from `next`. */
export function randomCuts(next: () => number, length: number): number[] {
  return Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * (length + 1))).sort((a, b) => a - b);
}

/** A string of `count` pieces drawn from `alphabet`, as latin1 bytes. */
export function drawn(next: () => number, alphabet: readonly string[], count: number): Buffer {
  let text = '';
  for (let i = 0; i < count; i++) text += alphabet[Math.floor(next() * alphabet.length)];
  return Buffer.from(text, 'latin1');
}

/** Every chunk of a transform's output, joined, and how many there were. */
export async function collect(chunks: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; pieces: number }> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return { bytes: Buffer.concat(out), pieces: out.length };
}
