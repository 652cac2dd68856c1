// The IMAP server under attack, in its own process so its memory is measured alone. Listener limits
// as in the sample configuration (64 MiB literals after login, 64 KiB before). Talks to the parent
// over IPC: sends { port } when listening, answers 'mem' with { rss, connections }, exits on 'stop'.
import { startImap } from '../../test/imap/harness.js';
import { DEFAULT_IMAP_LITERAL_SIZE_LIMIT, DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT } from '../../src/config/imap.js';

const h = await startImap({
  users: { 'owner@example.org': 'owner-password' },
  config: { connectionLimit: 0, connectionLimitPerIP: 0, timeout: 3600, maxLiteralSize: DEFAULT_IMAP_LITERAL_SIZE_LIMIT, preAuthSizeLimit: DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT },
});

process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    process.send?.({ rss: process.memoryUsage().rss, connections: h.server.connectionCount });
  } else if (msg === 'stop') {
    void h.close().then(() => process.exit(0));
  }
});
process.send?.({ port: h.port });
