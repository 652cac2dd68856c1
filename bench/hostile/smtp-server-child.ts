// The SMTP server under attack, in its own process so its memory is measured alone. Talks to the
// parent over IPC: sends { port } when listening, answers 'mem' with RSS and the sessions' buffers.
import { startHarness } from '../../test/smtp/harness.js';

const maxMessageSize = Number(process.env.HOSTILE_MAX_MESSAGE ?? 64 * 1024 * 1024);
const perIp = Number(process.env.HOSTILE_PER_IP_LIMIT ?? 0);
const h = await startHarness({
  startWorker: false,
  config: { connectionLimit: 0, connectionLimitPerIP: perIp, maxMessageSize, timeout: 3600 },
  limits: { maxCommands: 1_000_000 },
});

process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, ...h.server.bufferStats() });
  } else if (msg === 'stop') {
    void h.close().then(() => process.exit(0));
  }
});
process.send?.({ port: h.port });
