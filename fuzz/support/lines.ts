// The lines a line-protocol session reads from a client's bytes arriving in `chunks` (the shared
// ByteQueue, as POP3 and ManageSieve read them); an over-long line reads as "<too long>".
import { ByteQueue } from '../../src/net/byte-queue.js';

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
