// RSS of this process after full collections (needs --expose-gc), once it has stopped moving: used by
// the comparison's Tessera process and by each of its workers (worker-gc.ts).
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

function rssBytes(): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

/**
 * After a busy round V8 gives pages back over several collections, and a baseline taken in the
 * middle of that would make the next figure shrink (or go negative) however much the connections took.
 */
export async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  let last = rssBytes();
  for (let i = 0; i < 8; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = rssBytes();
    if (Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

/** The question the comparison's process asks a worker, and the worker's answer. */
export const GC_REQUEST = 'tessera-bench:gc';
export interface GcAnswer {
  bench: 'rss';
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /**
   * Bytes of V8's young generation in memory. V8 sizes it by the allocation rate (it grows in a
   * burst, up to 16 MiB per semi-space, and shrinks again after an idle spell), not by what the
   * process holds: 300 idlers arriving after a minute's quiet grew it from 0.3 to 4-8 MiB in each
   * worker, most of the RSS the comparison then charged to those connections.
   */
  youngGeneration: number;
}

/** This process's RSS after full collections, with V8's figures read at the same moment. */
export async function settledMemory(): Promise<Omit<GcAnswer, 'bench'>> {
  const rss = await settledRss();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  const youngGeneration = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
  return { rss, heapUsed, external, arrayBuffers, youngGeneration };
}

export function isGcAnswer(m: unknown): m is GcAnswer {
  return typeof m === 'object' && m !== null && (m as { bench?: unknown }).bench === 'rss' && typeof (m as { rss?: unknown }).rss === 'number';
}
