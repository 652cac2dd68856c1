// POP3 login benchmark (not part of the test suite): `nice -n 10 node --import tsx bench/pop3/run.ts [seconds] [clients]`.
// Starts a whole Tessera (the end-to-end harness: real listeners, store, session control) and a real
// OpenID provider in this process, then for `seconds` (default 5) keeps `clients` (default 8)
// connections busy doing: TLS connect to the pop3s listener, greeting, login, QUIT. Prints POP3
// logins per second for
//  1. USER/PASS over loopback implicit TLS (scrypt password check per login);
//  2. AUTH OAUTHBEARER with a JWT from the provider (keys warm; the same 20 tokens reused, so the
//     validation result cache answers most of them, as for a client that logs in repeatedly).
// Every login counts from connect to the +OK of QUIT, TLS handshake included.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startTestIdp } from '../../test/support/oidc-provider.js';
import { DOMAIN, startTessera, writeE2eConf } from '../../test/e2e/harness.js';
import { RawPop3Client } from '../../test/pop3/raw-client.js';

const SECONDS = Number(process.argv[2] ?? 5);
const CLIENTS = Number(process.argv[3] ?? 8);
const USERS = 20;
const PASSWORD = 'bench-pop3-password';

const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@${DOMAIN}`);
const idp = await startTestIdp({ users: emails.map((email) => ({ email })) });
const conf = await writeE2eConf(idp);
const srv = await startTessera(conf);
for (const email of emails) await srv.running.context.users.add(email, PASSWORD);
const tokens = await Promise.all(emails.map((e) => idp.accessToken(e)));
const port = srv.endpoints.pop3s;

async function login(i: number, how: 'pass' | 'oauthbearer'): Promise<void> {
  const user = emails[i % USERS]!;
  const { client, greeting } = await RawPop3Client.connect(port, { tls: true });
  try {
    if (!greeting.startsWith('+OK')) throw new Error(`greeting: ${greeting}`);
    let status: string;
    if (how === 'pass') {
      await client.command(`USER ${user}`);
      status = await client.command(`PASS ${PASSWORD}`);
    } else {
      const ir = Buffer.from(`n,a=${user},\x01auth=Bearer ${tokens[i % USERS]}\x01\x01`).toString('base64');
      status = await client.command(`AUTH OAUTHBEARER ${ir}`);
    }
    if (!status.startsWith('+OK')) throw new Error(`${how} login refused: ${status}`);
    const bye = await client.command('QUIT');
    if (!bye.startsWith('+OK')) throw new Error(`QUIT: ${bye}`);
  } finally {
    client.close();
  }
}

async function measure(how: 'pass' | 'oauthbearer'): Promise<{ perSecond: number; logins: number }> {
  // Warm-up: key fetch, first scrypt, TLS session setup code paths.
  for (let i = 0; i < CLIENTS; i++) await login(i, how);
  let logins = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = c; performance.now() < end; i += CLIENTS) {
        await login(i, how);
        logins++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { perSecond: logins / elapsed, logins };
}

try {
  const pass = await measure('pass');
  const bearer = await measure('oauthbearer');
  console.log(`POP3 logins per second (${CLIENTS} clients, ${SECONDS} s each, loopback implicit TLS, connect + login + QUIT):`);
  console.log(`  USER/PASS:        ${pass.perSecond.toFixed(1)} /s (${pass.logins} logins)`);
  console.log(`  AUTH OAUTHBEARER: ${bearer.perSecond.toFixed(1)} /s (${bearer.logins} logins)`);
  console.log(`  (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}: figures on a shared machine are lower bounds)`);
} finally {
  await srv.running.stop();
  await idp.close();
  await conf.dispose();
}
