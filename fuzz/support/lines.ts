// The lines a line-protocol session reads from a client's bytes arriving in `chunks` (the shared
// ByteQueue, as POP3 and ManageSieve read them); an over-long line reads as "<too long>".
import { ByteQueue } from '../../src/net/byte-queue.js';
import { chunkings } from './chunks.js';
import { checkEqual } from './invariant.js';

export function readLines(chunks: Buffer[], limit: number): string[] {
  const q = new ByteQueue();
  const out: string[] = [];
  for (const c of chunks) {
    q.push(c);
    for (;;) {
      const r = q.takeLine(limit);
      if (r.kind === 'incomplete') break;
      out.push(r.kind === 'too-long' ? '<too long>' : r.line.toString('latin1'));
    }
  }
  return out;
}

/**
 * The input cut into reads in several ways (chunkings) and the lines read from it, checked to be the
 * same however it was cut.
 */
export function linesOfEveryCut(data: Buffer, limit: number): { cuts: Buffer[][]; lines: string[] } {
  const cuts = chunkings(data);
  const [whole, ...others] = cuts.map((c) => readLines(c, limit));
  for (const lines of others) checkEqual(lines, whole, 'lines read depend on how the input was cut');
  return { cuts, lines: whole! };
}
