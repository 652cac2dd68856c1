// Cluster benchmark: 1, 2 and 3 Tessera processes on one PostgreSQL schema (storage.engine=postgres),
// clients spread round-robin over the nodes as a TCP load balancer would. Prints, per cluster size:
//  - SMTP delivery throughput: reused MX connections (EHLO once, then MAIL/RCPT/DATA of 1 KiB
//    messages, each acknowledged only once committed), recipients spread over 4 users;
//  - IMAP login rate: connect, STARTTLS, AUTHENTICATE OAUTHBEARER (a provider JWT, as SSO clients
//    log in), LOGOUT;
//  - SQL round trips per operation: tessera_pg_queries_total of every node (store and users pools)
//    before and after, divided by the operations done.
// Run: node --import tsx bench/cluster/run.ts [seconds-per-case] [clients-per-case] [--no-inbound-auth].
// Needs PostgreSQL (TESSERA_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres). Not part
// of the suite. Each MX delivery is checked for SPF/DKIM/DMARC/ARC, so it asks the system's DNS resolver
// several questions about the sender's domain; a resolver that drops bursts of queries (this machine's
// does: c-ares asks again after a second) then sets the delivery rate. --no-inbound-auth
// (mailauth.inbound=false) measures the store and the cluster without those lookups.
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { startCluster, type ClusterNode } from '../../test/cluster/harness.js';
import { imapConnect } from '../../test/e2e/clients.js';
import { DOMAIN } from '../../test/e2e/harness.js';
import { startTestIdp } from '../../test/support/oidc-provider.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../../test/support/postgres.js';
import { sampleTotal, scrapeMetrics } from '../../test/support/prom-text.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const SECONDS = Number(positional[0] ?? 5);
const CLIENTS = Number(positional[1] ?? 8);
const INBOUND_AUTH = !process.argv.includes('--no-inbound-auth');
const USERS: Array<[string, string]> = ['alice', 'bob', 'carol', 'dave'].map((u) => [`${u}@${DOMAIN}`, `${u}-bench-pw`]);

function body(to: string): string {
  const head = `From: someone@elsewhere.test\r\nTo: ${to}\r\nSubject: bench\r\nMessage-ID: <${randomUUID()}@elsewhere.test>\r\n\r\n`;
  return `${head}${'x'.repeat(76)}\r\n`.padEnd(1024 - 5, 'y') + '\r\n.\r\n';
}

function expect(code: number, got: { code: number; text: string }): void {
  if (got.code !== code) throw new Error(`expected ${code}, got ${got.text}`);
}

async function roundTrips(nodes: readonly ClusterNode[]): Promise<number> {
  const totals = await Promise.all(nodes.map(async (n) => sampleTotal(await scrapeMetrics(n.endpoints.control!), 'tessera_pg_queries_total')));
  return totals.reduce((a, b) => a + b, 0);
}

/** Runs `clients` loops for SECONDS, client i on node i mod n; returns operations/s and SQL round trips/operation. */
async function measure(nodes: readonly ClusterNode[], loop: (node: ClusterNode, i: number, stop: () => boolean) => Promise<number>): Promise<{ rate: number; trips: number }> {
  const before = await roundTrips(nodes);
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => loop(nodes[i % nodes.length]!, i, () => Date.now() >= end)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const ops = counts.reduce((a, b) => a + b, 0);
  const trips = (await roundTrips(nodes)) - before;
  return { rate: ops / elapsed, trips: ops > 0 ? trips / ops : NaN };
}

async function deliveries(node: ClusterNode, i: number, stop: () => boolean): Promise<number> {
  const { client } = await RawSmtpClient.connect(node.endpoints.smtpMx);
  expect(250, await client.command('EHLO bench.elsewhere.test'));
  let n = 0;
  while (!stop()) {
    const to = USERS[(i + n) % USERS.length]![0];
    expect(250, await client.command('MAIL FROM:<someone@elsewhere.test>'));
    expect(250, await client.command(`RCPT TO:<${to}>`));
    expect(354, await client.command('DATA'));
    client.write(body(to));
    expect(250, await client.read());
    n++;
  }
  await client.command('QUIT');
  return n;
}

const tokens = new Map<string, string>();

async function logins(node: ClusterNode, i: number, stop: () => boolean): Promise<number> {
  const [user] = USERS[i % USERS.length]!;
  const accessToken = tokens.get(user)!;
  let n = 0;
  while (!stop()) {
    const c = await imapConnect(node.endpoints.imap, { user, accessToken });
    await c.logout();
    n++;
  }
  return n;
}

/** A stop() that lets a loop run exactly once. */
function oneRound(): () => boolean {
  let ran = false;
  return () => {
    const stop = ran;
    ran = true;
    return stop;
  };
}

async function main(): Promise<void> {
  const unavailable = await postgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const idp = await startTestIdp({ users: USERS.map(([email]) => ({ email })) });
  const db = await createTestSchema();
  for (const [user] of USERS) tokens.set(user, await idp.accessToken(user));
  console.log(`Cluster benchmark: ${SECONDS}s per case, ${CLIENTS} clients spread over the nodes, one PostgreSQL on this host (${cpus().length} cores, node ${process.version}), inbound SPF/DKIM/DMARC ${INBOUND_AUTH ? 'on' : 'off'}`);
  console.log('nodes  deliveries/s  SQL/delivery  logins/s  SQL/login');
  try {
    for (const size of [1, 2, 3]) {
      const cluster = await startCluster({ idp, url: db.url, schema: db.schema, nodes: size, users: USERS, control: true, logLevel: 'warn', poolSize: 10, ...(INBOUND_AUTH ? {} : { properties: ['mailauth.inbound=false'] }) });
      try {
        // Warm-up: code paths compiled, pools opened, accounts created on every node.
        await Promise.all(cluster.nodes.map((n, i) => deliveries(n, i, oneRound())));
        const d = await measure(cluster.nodes, deliveries);
        process.stdout.write(`${String(size).padStart(5)}  ${d.rate.toFixed(1).padStart(12)}  ${d.trips.toFixed(1).padStart(12)}`);
        const l = await measure(cluster.nodes, logins);
        console.log(`  ${l.rate.toFixed(1).padStart(8)}  ${l.trips.toFixed(1).padStart(9)}`);
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await idp.close();
    await db.drop();
    await dropSharedDatabase();
  }
}

await main();
