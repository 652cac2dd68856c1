// The IMAP server under benchmark, in its own process so its memory can be measured alone. Talks to
// the parent over IPC: sends { port } when listening, answers 'mem' with process memory figures after
// a full GC and 'sample' with them as they are (peaks while a load runs).
import { startImap } from '../../test/imap/harness.js';
import { startTestIdp } from '../../test/support/oidc-provider.js';

const users: Record<string, string> = {};
for (let i = 0; i < 64; i++) users[`bench${i}@example.org`] = 'pw';
const idp = await startTestIdp({ users: Object.keys(users).map((email) => ({ email })) });
const h = await startImap({ users, auth: { plainAuthEnabled: true, requireSSL: false, oidc: idp.oidcConfig() }, config: { connectionLimit: 0, timeout: 3600 } });
const tokens: Record<string, string> = {};
for (const u of Object.keys(users).slice(0, 32)) tokens[u] = await idp.accessToken(u);

process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: h.server.connectionCount });
  } else if (msg === 'sample') {
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: h.server.connectionCount });
  } else if (msg === 'stop') {
    void h.close().then(() => idp.close()).then(() => process.exit(0));
  }
});
process.send?.({ port: h.port, tokens });
