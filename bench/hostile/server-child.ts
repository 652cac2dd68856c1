// The IMAP, JMAP and SMTP (MX) servers under attack, in their own process so their memory is measured alone.
// IMAP listener limits as in the sample configuration (64 MiB literals after login, 64 KiB before);
// JMAP takes uploads up to 64 MiB from as many clients at once as attack. Talks to the parent over
// SMTP takes messages up to 64 MiB from any number of sessions (the attack reaches the spool). Talks
// to the parent over IPC: sends { port, jmapPort, smtpPort } when listening, answers 'mem' with the
// process's memory breakdown, connections and arriving-message bytes,
// 'retained' with the same after a full garbage collection (what is live, not what awaits collection),
// 'loop' with the event loop's delay and the garbage collector's pauses since the last 'loop' (then
// starts afresh), { accepted: port } with when (wall-clock ms) the server accepted the connection from
// that client port (undefined if unknown), exits on 'stop'.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startImap } from '../../test/imap/harness.js';
import { startHarness as startJmap } from '../../test/jmap/harness.js';
import { startHarness as startSmtp } from '../../test/smtp/harness.js';
import { DEFAULT_IMAP_LITERAL_SIZE_LIMIT, DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT } from '../../src/config/imap.js';
import { ingestMemoryStats } from '../../src/store/index.js';

const USERS = { 'owner@example.org': 'owner-password' };
const h = await startImap({
  users: USERS,
  config: { connectionLimit: 0, connectionLimitPerIP: 0, timeout: 3600, maxLiteralSize: DEFAULT_IMAP_LITERAL_SIZE_LIMIT, preAuthSizeLimit: DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT },
});
const jmap = await startJmap({ users: USERS, config: { maxSizeUpload: 64 * 1024 * 1024, maxConcurrentUpload: 100_000 } });

// HOSTILE_DELIVER=1 runs the queue worker, so messages the MX attack completes are delivered
// (parsed and stored) and their delivery shows in the memory figures (see run.ts --settle).
const smtp = await startSmtp({
  startWorker: process.env.HOSTILE_DELIVER === '1',
  config: { connectionLimit: 0, connectionLimitPerIP: 0, maxMessageSize: 64 * 1024 * 1024, timeout: 3600 },
  limits: { maxCommands: 1_000_000 },
});

/**
 * The main (JavaScript) thread's time on a CPU and time spent runnable but waiting for one, in ms
 * (Linux /proc/<pid>/schedstat, the thread-group leader's figures): a long wait there is the machine's
 * other load taking the CPU, not work of this process. Undefined where schedstat is not available.
 */
function schedTimes(): { ran: number; waited: number } | undefined {
  try {
    const [ran, waited] = readFileSync(`/proc/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return ran === undefined || waited === undefined ? undefined : { ran: ran / 1e6, waited: waited / 1e6 };
  } catch {
    return undefined;
  }
}
let schedBase = schedTimes();

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let gcMax = 0;
let gcTotal = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMax = Math.max(gcMax, e.duration);
    gcTotal += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

// When each connection was accepted (the 'connection' event, where the IMAP greeting is written), by
// the client's port: the bench splits a login's wait into the wait to be accepted (kernel queue,
// event loop busy elsewhere) and what follows. Bounded: only the latest ACCEPTED_KEPT are kept.
const ACCEPTED_KEPT = 4096;
const acceptedAt = new Map<number, number>();
/** Connections accepted since the last trace line (HOSTILE_TRACE). */
let acceptedThisSecond = 0;
subscribe('net.server.socket', (m) => {
  const port = (m as { socket: { remotePort?: number } }).socket.remotePort;
  if (port === undefined) return;
  acceptedAt.delete(port);
  acceptedAt.set(port, performance.timeOrigin + performance.now());
  acceptedThisSecond++;
  if (acceptedAt.size > ACCEPTED_KEPT) acceptedAt.delete(acceptedAt.keys().next().value as number);
});

// A full collection on request ('retained'), without the bench having to start node with --expose-gc.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

process.on('message', (msg: unknown) => {
  if (msg === 'retained') fullGc();
  if (typeof msg === 'object' && msg !== null && 'accepted' in msg) {
    process.send?.({ at: acceptedAt.get(Number((msg as { accepted: unknown }).accepted)) });
  } else if (msg === 'mem' || msg === 'retained') {
    const stats = ingestMemoryStats();
    const m = process.memoryUsage();
    const smtpStats = smtp.server.bufferStats();
    process.send?.({
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      connections: h.server.connectionCount + smtpStats.sessions,
      arriving: stats.arrivingBytes,
      parsing: stats.parsingBytes,
    });
  } else if (msg === 'loop') {
    const sched = schedTimes();
    const ran = sched && schedBase ? sched.ran - schedBase.ran : NaN;
    const waited = sched && schedBase ? sched.waited - schedBase.waited : NaN;
    process.send?.({ delayP99: loop.percentile(99) / 1e6, delayMax: loop.max / 1e6, gcMax, gcTotal, ran, waited });
    schedBase = sched;
    loop.reset();
    gcMax = 0;
    gcTotal = 0;
  } else if (msg === 'stop') {
    void Promise.all([h.close(), jmap.close(), smtp.close()]).then(() => process.exit(0));
  }
});
process.send?.({ port: h.port, jmapPort: Number(new URL(jmap.url).port), smtpPort: smtp.port });
// HOSTILE_TRACE=1: each second, how many event-loop iterations ran, the loop's utilisation and the
// IMAP connections (a loop that turns slowly accepts slowly: libuv takes one connection per turn).
if (process.env.HOSTILE_TRACE) {
  let iterations = 0;
  const tick = (): void => {
    iterations++;
    setImmediate(tick);
  };
  tick();
  let elu = performance.eventLoopUtilization();
  setInterval(() => {
    const now = performance.eventLoopUtilization(elu);
    elu = performance.eventLoopUtilization();
    console.error(`trace: ${iterations} iterations/s, ELU ${now.utilization.toFixed(2)}, imap connections ${h.server.connectionCount}, ${acceptedThisSecond} accepted/s`);
    acceptedThisSecond = 0;
    iterations = 0;
  }, 1000).unref();
}
