// What the servers cost, read from /proc: CPU time of a process tree (a server's master and every
// process under it) and its memory (PSS summed over the tree — shared pages split between the
// processes that map them, so Dovecot's many processes are not counted once per process — or RSS).
// Linux only; the comparison needs Dovecot/Postfix, which it runs on Linux only.
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux.

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks: children reaped by it are included. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it start at the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const num = (i: number): number => Number(rest[i - 3]);
    return { pid, ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17) };
  } catch {
    return undefined; // The process ended between the directory listing and the read.
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The pids of the trees rooted at `roots` (roots included). */
export function treePids(roots: readonly number[]): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const todo = [...roots];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by the trees rooted at `roots`: live processes' own time plus what they
 * collected from children that have ended (a login process that exits is reaped by its master, so
 * its time moves into the master's cutime and is still counted).
 */
export function treeCpuSeconds(roots: readonly number[]): number {
  let ticks = 0;
  for (const pid of treePids(roots)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/**
 * Waits (at most `maxMs`) until the trees rooted at `roots()` have gone quiet: under 5% of a core
 * over a second, long enough that a server pausing briefly between pieces of leftover work is not
 * taken for done.
 */
export async function untilQuiet(roots: () => readonly number[] | Promise<readonly number[]>, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const pids = await roots();
    const before = treeCpuSeconds(pids);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (treeCpuSeconds(pids) - before < 0.05) return;
  }
}

/**
 * Waits (at most `maxMs`, looking every quarter second) until the trees rooted at `roots` hold no
 * more than `count` processes; says whether they got there.
 */
export async function untilAtMost(roots: readonly number[], count: number, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    if (treePids(roots).length <= count) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function rollupField(pid: number, field: 'Pss' | 'Rss'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Bytes of PSS summed over the trees rooted at `roots`. */
export function treePss(roots: readonly number[]): number {
  return treePids(roots).reduce((sum, pid) => sum + rollupField(pid, 'Pss'), 0);
}

/** Bytes of RSS of one process. */
export function processRss(pid: number): number {
  return rollupField(pid, 'Rss');
}
