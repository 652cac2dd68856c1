// The IMAP server under attack, in its own process so its memory is measured alone. Listener limits
// as in the sample configuration (64 MiB literals after login, 64 KiB before). Talks to the parent
// over IPC: sends { port } when listening, answers 'mem' with { rss, connections }, 'loop' with the
// event loop's delay and the garbage collector's pauses since the last 'loop' (then starts afresh),
// exits on 'stop'.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startImap } from '../../test/imap/harness.js';
import { DEFAULT_IMAP_LITERAL_SIZE_LIMIT, DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT } from '../../src/config/imap.js';

const h = await startImap({
  users: { 'owner@example.org': 'owner-password' },
  config: { connectionLimit: 0, connectionLimitPerIP: 0, timeout: 3600, maxLiteralSize: DEFAULT_IMAP_LITERAL_SIZE_LIMIT, preAuthSizeLimit: DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT },
});

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

process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    process.send?.({ rss: process.memoryUsage().rss, connections: h.server.connectionCount });
  } else if (msg === 'loop') {
    process.send?.({ delayP99: loop.percentile(99) / 1e6, delayMax: loop.max / 1e6, gcMax, gcTotal });
    loop.reset();
    gcMax = 0;
    gcTotal = 0;
  } else if (msg === 'stop') {
    void h.close().then(() => process.exit(0));
  }
});
process.send?.({ port: h.port });
