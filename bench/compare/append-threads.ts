// Where a durable IMAP APPEND's CPU goes, per thread of one Tessera process (not part of the suite):
// the bench/compare APPEND load (2-250 KB messages, `--clients` logged-in connections, each APPENDing
// to its own selected INBOX) against Tessera with server.processes=1, and each thread's CPU from
// /proc/<pid>/task/*/stat before and after each measured round, per acknowledged APPEND. Node names
// none of its threads on Linux, so they are told apart by what they do: `main` is the event loop,
// `index worker` the busiest other thread (the full-text index worker, src/store/sqlite/fts-worker.ts,
// the only other thread that runs JavaScript through the rounds), `others` the rest summed (libuv's
// thread pool doing file I/O and fsyncs, V8's garbage collector and compiler threads). Each round's
// CPU includes what the process did after it until it went quiet (the index worker catching up).
//   node --import tsx bench/compare/append-threads.ts [--seconds=10] [--clients=8] [--rounds=3] [--cpu-prof=DIR]
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOMAIN, startBenchIdp } from './idp.js';
import { startTessera } from './tessera.js';
import { runAppendLoad, type Account } from './workloads.js';
import { untilQuiet } from './proc.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
  },
});
const SECONDS = Number(flags.seconds);
const CLIENTS = Number(flags.clients);
const ROUNDS = Number(flags.rounds);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU ticks (user + system) of each thread of `pid`, by thread id. */
async function threadTicks(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    // A thread that ended between the listing and the read is left out.
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const fields = stat.slice(close + 2).split(' ');
    out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

const idp = await startBenchIdp();
const accounts: Account[] = [];
for (let i = 0; i < CLIENTS; i++) accounts.push({ user: `append${i}@${DOMAIN}`, token: await idp.token(`append${i}@${DOMAIN}`) });
const root = await mkdtemp(join(tmpdir(), 'tessera-append-threads-'));
const tessera = await startTessera(root, idp, accounts.map((a) => a.user), { processes: 1, cpuProfDir: flags['cpu-prof'] });
const at = { port: tessera.imapPort, tls: false };
try {
  // Warm-up: the code paths compiled, the mailboxes created.
  await runAppendLoad(at, accounts, 3, CLIENTS);
  await untilQuiet(() => [tessera.pid], 30_000);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await threadTicks(tessera.pid);
    const result = await runAppendLoad(at, accounts, SECONDS, CLIENTS);
    const during = await threadTicks(tessera.pid);
    await untilQuiet(() => [tessera.pid], 30_000);
    const after = await threadTicks(tessera.pid);
    const used = [...after].map(([tid, ticks]) => ({ tid, ticks: ticks - (before.get(tid) ?? 0) }));
    const main = used.find((u) => u.tid === tessera.pid)?.ticks ?? 0;
    const rest = used.filter((u) => u.tid !== tessera.pid).sort((a, b) => b.ticks - a.ticks);
    const worker = rest[0]?.ticks ?? 0;
    const others = rest.slice(1).reduce((n, u) => n + u.ticks, 0);
    const ms = (ticks: number): string => ((ticks * 1000) / TICKS_PER_SECOND / Math.max(1, result.ops)).toFixed(2);
    const total = (ticks: Map<number, number>): number => [...ticks.values()].reduce((n, t) => n + t, 0);
    const afterwards = total(after) - total(during);
    process.stdout.write(
      `round ${round}: ${(result.ops / SECONDS).toFixed(1)} appends/s, CPU ms per append: total ${ms(main + worker + others)} (${ms(afterwards)} of it after the round), main ${ms(main)}, index worker ${ms(worker)}, others ${ms(others)}\n`,
    );
  }
} finally {
  await tessera.stop();
  await idp.close();
  await rm(root, { recursive: true, force: true });
}
