// Soak benchmark (not part of the test suite): many connections against one whole Tessera for
// minutes, looking for leaks and errors that only time shows.
//
//   node --import tsx bench/soak/run.ts [--connections 2000] [--minutes 10]
//        [--mix imap=0.6,smtp=0.2,eventsource=0.2] [--users 200] [--ramp 30]
//
// The server (./server-child.ts: `tessera serve` on a conf with IMAP, SMTP submission and JMAP on
// one SQLite store) runs in a child process. The connections are split by --mix into IMAP clients
// (LOGIN, SELECT, IDLE, FETCH, APPEND, expunge, LOGOUT and again: ./imap-slot.ts), SMTP submission
// clients (AUTH, one to three messages, QUIT: ./smtp-slot.ts) and JMAP EventSource clients (a push
// stream plus Email/query requests: ./jmap-slot.ts), started evenly over --ramp seconds; each INBOX
// starts with the number of messages the IMAP clients keep it at. The warm-up (until every client
// has logged in once) is reported on its own; then each minute (--minutes of them) it prints the
// server's RSS, the errors so far, and p50/p99 latency of each operation kind; at the end the same
// for the whole run and whether the aim was met: no errors (warm-up included), and the last
// minute's RSS within 10 % of the first minute's.
//
// Exit code: 0 when the aim was met, 1 on any error (a client operation failing or taking longer
// than a minute, or the server logging an error), 2 when there were no errors but RSS grew past 10 %.
// Needs a file descriptor per connection on each side: when `ulimit -n` is too low and the hard
// limit allows it, the bench restarts itself with a higher limit.
import { execFileSync, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_PACING, SoakContext } from './context.js';
import { SoakStats, formatSummary } from './stats.js';
import { imapSlot } from './imap-slot.js';
import { smtpSlot } from './smtp-slot.js';
import { jmapSlot } from './jmap-slot.js';
import type { SoakServerMem, SoakServerReady } from './server-child.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    minutes: { type: 'string', default: '10' },
    mix: { type: 'string', default: 'imap=0.6,smtp=0.2,eventsource=0.2' },
    users: { type: 'string', default: '200' },
    ramp: { type: 'string', default: '30' },
  },
});
const CONNECTIONS = Number(values.connections);
const MINUTES = Number(values.minutes);
const USERS = Number(values.users);
const RAMP_MS = Number(values.ramp) * 1000;
const PASSWORD = 'soak-password';
const MB = 1024 * 1024;
/** Past the ramp-up, the longest the minutes wait for every client's first login. */
const WARMUP_LIMIT_MS = 5 * 60_000;
/** The aim: the last minute's RSS within this fraction of the first minute's. */
const RSS_TOLERANCE = 0.1;

type Kind = 'imap' | 'smtp' | 'eventsource';
function parseMix(text: string): Record<Kind, number> {
  const mix: Record<Kind, number> = { imap: 0, smtp: 0, eventsource: 0 };
  for (const part of text.split(',')) {
    const [name, share] = part.split('=');
    if (name !== 'imap' && name !== 'smtp' && name !== 'eventsource') throw new Error(`--mix: unknown kind ${name}; use imap, smtp, eventsource`);
    mix[name] = Number(share);
  }
  const total = mix.imap + mix.smtp + mix.eventsource;
  if (!(total > 0)) throw new Error('--mix: the shares must add up to more than 0');
  return { imap: mix.imap / total, smtp: mix.smtp / total, eventsource: mix.eventsource / total };
}
const MIX = parseMix(values.mix);
const counts = { imap: Math.round(CONNECTIONS * MIX.imap), smtp: Math.round(CONNECTIONS * MIX.smtp), eventsource: 0 };
counts.eventsource = CONNECTIONS - counts.imap - counts.smtp;

/** One file descriptor per connection, plus the store, the logs, Node's own and some slack. */
const FDS_NEEDED = CONNECTIONS + 1024;
await ensureFileDescriptors();

async function ensureFileDescriptors(): Promise<void> {
  const limits = execFileSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n');
  const soft = limits[0] === 'unlimited' ? Infinity : Number(limits[0]);
  const hard = limits[1] === 'unlimited' ? Infinity : Number(limits[1]);
  if (soft >= FDS_NEEDED) return;
  if (hard < FDS_NEEDED || process.env.SOAK_RAISED_ULIMIT) {
    console.error(`${CONNECTIONS} connections need ${FDS_NEEDED} file descriptors per process; ulimit -n is ${soft} (hard limit ${hard}).`);
    console.error(`Raise it (as root: ulimit -Hn ${FDS_NEEDED}, or LimitNOFILE= in a systemd unit) or use fewer --connections.`);
    process.exit(1);
  }
  // The soft limit may be raised up to the hard one without privileges: restart under a shell that does.
  const child = spawn('sh', ['-c', `ulimit -n ${FDS_NEEDED} && exec "$@"`, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SOAK_RAISED_ULIMIT: '1' },
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
  // Nothing else runs in this process: it waits for the restarted one and exits with its code.
  await new Promise<never>(() => undefined);
}

const server = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [String(USERS), PASSWORD], {
  execArgv: ['--import', 'tsx', '--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = await new Promise<SoakServerReady>((resolve, reject) => {
  server.once('message', (m) => resolve(m as SoakServerReady));
  server.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
});
const mem = (): Promise<SoakServerMem> =>
  new Promise((resolve) => {
    server.once('message', (m) => resolve(m as SoakServerMem));
    server.send('mem');
  });

const stats = new SoakStats();
const ctx = new SoakContext(ready, PASSWORD, stats, DEFAULT_PACING);
const loop = monitorEventLoopDelay({ resolution: 20 });
loop.enable();

console.log(
  `soak: ${CONNECTIONS} connections (${counts.imap} IMAP IDLE, ${counts.smtp} SMTP submission, ${counts.eventsource} JMAP EventSource), ` +
    `${USERS} users, ${MINUTES} min after a ramp-up of ${RAMP_MS / 1000} s; INBOXes seeded with ${ready.seeded} messages in ${(ready.seedMs / 1000).toFixed(1)} s`,
);

// Slots start evenly over the ramp, the kinds interleaved so each kind ramps up at the same pace.
const kinds: Kind[] = [];
for (let i = 0; i < CONNECTIONS; i++) {
  const want = (k: Kind): number => counts[k] * ((i + 1) / CONNECTIONS) - kinds.filter((x) => x === k).length;
  kinds.push((['imap', 'smtp', 'eventsource'] as const).reduce((best, k) => (want(k) > want(best) ? k : best)));
}
const startedAt = performance.now();
const slots: Array<Promise<void>> = [];
const perKind = { imap: 0, smtp: 0, eventsource: 0 };
for (const [i, kind] of kinds.entries()) {
  const n = perKind[kind]++;
  const start = ctx.sleep((RAMP_MS * i) / CONNECTIONS);
  slots.push(
    start.done.then(() => {
      if (ctx.stopping) return;
      if (kind === 'imap') return imapSlot(ctx, n);
      if (kind === 'smtp') return smtpSlot(ctx, n);
      return jmapSlot(ctx, n);
    }),
  );
}

// The minutes are counted from the moment every client has been through its first login (or
// WARMUP_LIMIT_MS after the ramp-up at the latest): the first minute's figures, which the last one
// is compared with, are then those of a full minute at the whole load, not of a server still
// taking connections on and deriving every user's password for the first time.
await ctx.sleep(RAMP_MS).done;
const warmupEnd = performance.now() + WARMUP_LIMIT_MS;
const all = (): boolean =>
  ctx.established.imap >= counts.imap && ctx.established.smtp >= counts.smtp && ctx.established.eventSource >= counts.eventsource;
while (!all() && performance.now() < warmupEnd) await ctx.sleep(1000).done;
const e = ctx.established;
console.log(
  `${all() ? 'every client logged in' : `not every client logged in after ${WARMUP_LIMIT_MS / 60_000} min`} ` +
    `(${e.imap}/${counts.imap} IMAP, ${e.smtp}/${counts.smtp} SMTP, ${e.eventSource}/${counts.eventsource} EventSource) ` +
    `${((performance.now() - startedAt) / 1000).toFixed(0)} s after the first connection; minute 1 starts now`,
);
console.log('[warm-up]');
printPeriod(stats.takeMinute());

/** A period's errors (count and first message) and latencies by kind. */
function printPeriod({ ops, errors }: ReturnType<SoakStats['takeMinute']>): void {
  for (const [kind, e] of errors) console.log(`  errors ${kind}: ${e.count}, first: ${JSON.stringify(e.sample)}`);
  for (const [kind, s] of ops) console.log(formatSummary(kind, s));
}

const rssByMinute: number[] = [];
const liveHeapByMinute: number[] = [];
let serverErrors = 0;
let sched = await mem();
for (let minute = 1; minute <= MINUTES; minute++) {
  await ctx.sleep(60_000).done;
  const m = await mem();
  rssByMinute.push(m.rss);
  liveHeapByMinute.push(m.liveHeap);
  serverErrors = m.errors;
  const period = stats.takeMinute();
  const minuteErrors = [...period.errors.values()].reduce((n, e) => n + e.count, 0);
  const o = ctx.open;
  console.log(
    `\n[minute ${minute}] server RSS ${(m.rss / MB).toFixed(1)} MB (anonymous ${(m.rssAnon / MB).toFixed(1)}, files ${(m.rssFile / MB).toFixed(1)}, shared ${(m.rssShmem / MB).toFixed(1)}; ` +
      `JS heap ${(m.heapUsed / MB).toFixed(1)} of ${(m.heapTotal / MB).toFixed(1)} MB, live after GC ${(m.liveHeap / MB).toFixed(1)} MB, external ${(m.external / MB).toFixed(1)} MB); ` +
      `open: ${o.imap} IMAP (${o.idling} in IDLE), ${o.smtp} SMTP, ${o.eventSource} EventSource; ` +
      `errors this minute ${minuteErrors}, total ${stats.totalErrors} + ${m.errors} logged by the server; ` +
      `load generator loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms`,
  );
  loop.reset();
  console.log(
    `  server main thread this minute: ${((m.cpuMs - sched.cpuMs) / 1000).toFixed(1)} s on a CPU, ${((m.runQueueMs - sched.runQueueMs) / 1000).toFixed(1)} s runnable but waiting for one; ` +
      `machine load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  sched = m;
  console.log(`  server handles: ${Object.entries(m.resources).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  printPeriod(period);
}

ctx.stop();
await Promise.race([Promise.all(slots), ctx.sleep(30_000).done]);
const last = await mem();
serverErrors = last.errors;
server.send('stop');
await new Promise((resolve) => server.once('exit', resolve));

console.log(`\n== whole run: ${CONNECTIONS} connections, ${MINUTES} min`);
for (const [kind, s] of stats.wholeRun()) console.log(formatSummary(kind, s));
console.log(`  counters: ${[...stats.counterValues()].map(([k, v]) => `${k} ${v}`).join(', ')}`);
const errors = stats.totalErrors + serverErrors;
console.log(`errors: ${errors} (${stats.totalErrors} in clients, ${serverErrors} logged by the server)`);
for (const [kind, e] of stats.errors()) console.log(`  ${kind}: ${e.count}, e.g. ${e.samples.map((s) => JSON.stringify(s)).join('; ')}`);
for (const s of last.errorSamples) console.log(`  server: ${JSON.stringify(s)}`);
const first = rssByMinute[0];
const lastRss = rssByMinute.at(-1);
let rssOk = true;
if (first !== undefined && lastRss !== undefined) {
  const growth = (lastRss - first) / first;
  rssOk = Math.abs(growth) <= RSS_TOLERANCE;
  console.log(
    `server RSS: first minute ${(first / MB).toFixed(1)} MB, last minute ${(lastRss / MB).toFixed(1)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %): ` +
      (rssOk ? `within ${RSS_TOLERANCE * 100} %` : `more than ${RSS_TOLERANCE * 100} % apart`),
  );
  console.log(`  by minute: ${rssByMinute.map((r) => (r / MB).toFixed(0)).join(', ')} MB; live JS heap after GC: ${liveHeapByMinute.map((r) => (r / MB).toFixed(0)).join(', ')} MB`);
}
process.exit(errors > 0 ? 1 : rssOk ? 0 : 2);
