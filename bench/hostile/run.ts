// Hostile-client benchmark (not part of the test suite): `node --import tsx bench/hostile/run.ts
// [--seconds N] [--connections N] [--settle S]`. The IMAP server runs in a child process; for each attack the
// bench prints the server's RSS growth over its idle baseline (peak and at the end), the latency
// of a legitimate LOGIN made every 250 ms while the attack runs (connect → greeting → LOGIN → OK;
// connect → greeting separately, which is the wait to be accepted), and the server's event-loop delay
// and garbage-collector pauses during the attack. The machine's other load shows in all of these:
// run it more than once.
// Attacks (each run by ./attacker.ts in its own process), each with N connections (default 200) for D seconds (default 30):
//  - preauth-literal: unauthenticated connections announce 64 MiB literals and send the bytes anyway;
//  - pipeline-no-read: connections pipeline CAPABILITY without ever reading a reply;
//  - imap-append: logged-in connections each APPEND a --size-mb literal (default 40) slowly, over D seconds;
//  - jmap-upload: clients each upload a --size-mb body slowly to JMAP, over D seconds;
//  - mx-data: MX sessions (no AUTH) each send a --size-mb message in DATA slowly, over D seconds;
//  - mx-bdat: the same as one BDAT ... LAST chunk (CHUNKING, RFC 3030).
// For the last four the bench also prints the most arriving-message bytes the server held in memory
// (spool writers' buffers; the message bytes themselves go to spool files). The RSS growth is split
// into the V8 heap, external memory and ArrayBuffers (Buffers) at the RSS peak, so a regression points
// at its kind of memory. The peak depends on when the garbage collector ran; two seconds before the end
// the bench also forces a full collection in the server and prints what stays live per connection,
// a figure that does not. `--only a,b` picks attacks. The figures are about the attack itself: the
// attacker closes its connections when its time is up, so unfinished messages are dropped, not
// delivered.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import net from 'node:net';
import { loadavg } from 'node:os';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '200' },
    'size-mb': { type: 'string', default: '40' },
    only: { type: 'string' },
    settle: { type: 'string', default: '0' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const SIZE_MB = values['size-mb'];
const SETTLE = Number(values.settle);
const MB = 1024 * 1024;

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  connections: number;
  /** Bytes of arriving messages held in spool writers' buffers, process-wide. */
  arriving: number;
}

// HOSTILE_SERVER_NODE_ARGS adds node flags for the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
// to see where the server's time goes during the attacks.
const serverNodeArgs = process.env.HOSTILE_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx', ...serverNodeArgs],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
interface Ports {
  port: number;
  jmapPort: number;
  smtpPort: number;
}
const { port, jmapPort, smtpPort } = await new Promise<Ports>((resolve) => child.once('message', (m) => resolve(m as Ports)));
const ask = <T>(what: string | { accepted: number | undefined }): Promise<T> =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(what);
  });
const mem = (): Promise<Mem> => ask<Mem>('mem');
/** Memory after a full garbage collection in the server. */
const retained = (): Promise<Mem> => ask<Mem>('retained');

interface Loop {
  /** The server's event-loop delay (ms): how late a timer due now would run. */
  delayP99: number;
  delayMax: number;
  /** Garbage-collector pauses (ms). */
  gcMax: number;
  gcTotal: number;
  /** The server's main thread: ms on a CPU, and ms runnable but waiting for one (NaN if unknown). */
  ran: number;
  waited: number;
}

/** Resolves when `socket` has received a line starting with `prefix`; with the ms it took. */
function awaitLine(socket: net.Socket, prefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      if (buf.split('\r\n').some((l) => l.startsWith(prefix))) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before ${prefix}`)));
  });
}

interface Login {
  /** ms from connect to the tagged OK. */
  total: number;
  /** ms from connect to the greeting. */
  greeting: number;
  /** ms from connect to the server's accepting the connection (its 'connection' event); NaN if unknown. */
  accepted: number;
  /** ms from writing LOGIN to its tagged OK. */
  answer: number;
  /** When it started (performance.now()). */
  at: number;
}

/** One legitimate login, timed. */
async function legitimateLogin(): Promise<Login> {
  const start = performance.now();
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  try {
    await awaitLine(s, '* OK');
    const greeting = performance.now() - start;
    const ok = awaitLine(s, 'l OK');
    const asked = performance.now();
    s.write('l LOGIN owner@example.org owner-password\r\n');
    await ok;
    const end = performance.now();
    // Both processes read the same wall clock: timeOrigin + now() compares across them.
    const { at } = await ask<{ at?: number }>({ accepted: s.localPort });
    const accepted = at === undefined ? NaN : at - (performance.timeOrigin + start);
    return { total: end - start, greeting, accepted, answer: end - asked, at: start };
  } finally {
    s.destroy();
  }
}

const ALL_ATTACKS: Array<[string, string]> = [
  ['preauth-literal', '64 MiB literal announcements before login, bytes sent anyway'],
  ['pipeline-no-read', 'CAPABILITY pipelined, replies never read'],
  ['imap-append', `logged-in APPENDs of ${SIZE_MB} MB literals, sent slowly`],
  ['jmap-upload', `JMAP uploads of ${SIZE_MB} MB bodies, sent slowly`],
  ['mx-data', `MX sessions sending ${SIZE_MB} MB of DATA, slowly`],
  ['mx-bdat', `MX sessions sending ${SIZE_MB} MB as one BDAT chunk, slowly`],
];
const attackPort = (name: string): number => (name === 'jmap-upload' ? jmapPort : name.startsWith('mx-') ? smtpPort : port);
const only = values.only?.split(',');
const ATTACKS = ALL_ATTACKS.filter(([name]) => !only || only.includes(name));

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

console.log(`hostile clients: ${CONNECTIONS} connections per attack, ${SECONDS} s each`);
{
  // What a login costs with no attack, on this machine under its current load: the figure to compare with.
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) idle.push((await legitimateLogin()).total);
  console.log(`legitimate LOGIN without attack: p50 ${percentile(idle, 50).toFixed(1)} ms, max ${Math.max(...idle).toFixed(1)} ms (20 logins)`);
}
for (const [name, description] of ATTACKS) {
  await legitimateLogin();
  const base = await mem();
  const baseLive = await retained();
  await ask<Loop>('loop');
  const stopAt = Date.now() + SECONDS * 1000;
  const attackStart = performance.now();
  const attacker = fork(fileURLToPath(new URL('./attacker.ts', import.meta.url)), [name, String(attackPort(name)), String(SECONDS), String(CONNECTIONS), SIZE_MB], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const attackerDone = new Promise((resolve) => attacker.once('exit', resolve));
  const logins: Login[] = [];
  let failures = 0;
  let peak = base;
  let peakConnections = 0;
  let peakArriving = 0;
  let live: Mem | undefined;
  while (Date.now() < stopAt) {
    await new Promise((r) => setTimeout(r, 250));
    if (!live && Date.now() >= stopAt - 2000) live = await retained();
    const m = await mem();
    if (m.rss > peak.rss) peak = m;
    peakArriving = Math.max(peakArriving, m.arriving);
    peakConnections = Math.max(peakConnections, m.connections);
    try {
      logins.push(await legitimateLogin());
    } catch {
      failures++;
    }
  }
  const during = await mem();
  const loop = await ask<Loop>('loop');
  await attackerDone;
  // --settle S: the peak also covers S seconds after the attack, when completed messages are
  // delivered (with HOSTILE_DELIVER=1 the server's queue worker runs).
  const settleUntil = Date.now() + SETTLE * 1000;
  while (Date.now() < settleUntil) {
    await new Promise((r) => setTimeout(r, 250));
    const m = await mem();
    if (m.rss > peak.rss) peak = m;
  }
  const settled = await mem();
  console.log(`\n${name}: ${description}`);
  const growth = (rss: number): string => `${rss >= base.rss ? '+' : '-'}${(Math.abs(rss - base.rss) / MB).toFixed(0)} MB`;
  console.log(`  server RSS: baseline ${(base.rss / MB).toFixed(0)} MB, peak ${growth(peak.rss)}, at end ${growth(during.rss)}, after the attack ${growth(settled.rss)}; up to ${peakConnections} connections; arriving-message bytes in memory max ${(peakArriving / 1024).toFixed(0)} KiB (sampled)`);
  const delta = (n: number): string => `${n >= 0 ? '+' : '-'}${(Math.abs(n) / MB).toFixed(1)} MB`;
  console.log(
    `    at the RSS peak: heap used ${delta(peak.heapUsed - base.heapUsed)}, external ${delta(peak.external - base.external)} (of which ArrayBuffers ${delta(peak.arrayBuffers - base.arrayBuffers)})`,
  );
  if (live && live.connections > 0) {
    const perConnection = (n: number): string => `${(n / live!.connections / 1024).toFixed(0)} KiB`;
    console.log(
      `    live after a full GC 2 s before the end, per connection (${live.connections}): ArrayBuffers ${perConnection(live.arrayBuffers - baseLive.arrayBuffers)}, heap ${perConnection(live.heapUsed - baseLive.heapUsed)}`,
    );
  }
  const totals = logins.map((l) => l.total);
  const greetings = logins.map((l) => l.greeting);
  console.log(
    `  legitimate LOGIN during the attack: ${logins.length} ok, ${failures} failed; p50 ${percentile(totals, 50).toFixed(1)} ms, p99 ${percentile(totals, 99).toFixed(1)} ms, max ${Math.max(...totals).toFixed(1)} ms`,
  );
  console.log(`    of which connect → greeting: p50 ${percentile(greetings, 50).toFixed(1)} ms, max ${Math.max(...greetings).toFixed(1)} ms`);
  const spread = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(1)}, p99 ${percentile(xs, 99).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms`;
  const accepted = logins.map((l) => l.accepted).filter((x) => !Number.isNaN(x));
  console.log(`    connect → accepted by the server: ${spread(accepted)}; accepted → greeting read: ${spread(logins.filter((l) => !Number.isNaN(l.accepted)).map((l) => l.greeting - l.accepted))}`);
  console.log(`    LOGIN written → tagged OK read: ${spread(logins.map((l) => l.answer))}`);
  // The attack's timeline: the slowest login of each 5 s window, to tell a start-up burst from a steady state.
  const windows: number[] = [];
  for (const l of logins) {
    const w = Math.floor((l.at - attackStart) / 5000);
    windows[w] = Math.max(windows[w] ?? 0, l.total);
  }
  console.log(`    slowest login per 5 s of the attack: ${Array.from(windows, (x) => (x === undefined ? '-' : x.toFixed(0))).join(', ')} ms`);
  const slowest = [...logins].sort((a, b) => b.total - a.total).slice(0, 3);
  console.log(`    slowest: ${slowest.map((l) => `${l.total.toFixed(0)} ms (greeting ${l.greeting.toFixed(0)} ms) at t=${((l.at - attackStart) / 1000).toFixed(1)} s`).join('; ')}`);
  console.log(
    `  server event loop: delay p99 ${loop.delayP99.toFixed(1)} ms, max ${loop.delayMax.toFixed(1)} ms; GC pauses max ${loop.gcMax.toFixed(1)} ms, total ${loop.gcTotal.toFixed(0)} ms`,
  );
  console.log(
    `  server main thread: ${loop.ran.toFixed(0)} ms on a CPU, ${loop.waited.toFixed(0)} ms runnable but waiting for a CPU (the machine's other load); load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  // Let the server settle before the next attack's baseline.
  await new Promise((r) => setTimeout(r, 2000));
}
child.send('stop');
