// JMAP benchmark (not part of the suite): requests/s and latency percentiles of
// Email/query (50 newest, collapseThreads) + back-referenced Email/get on a 10,000-message
// account, at 1 and 16 concurrent clients, over real HTTP against the SQLite store.
//
//   node --import tsx bench/jmap/run.ts [--messages 10000] [--seconds 10] [--store-only]
// --store-only also times the store calls behind the request, to show where the time goes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AuthService } from '../../src/auth/service.js';
import { MemoryUsersRepository } from '../../test/support/memory-users.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { AppendInput } from '../../src/store/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { createJmapServer } from '../../src/jmap/index.js';
import { startTestSessionControl } from '../../test/support/session-control.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const MESSAGES = arg('messages', 10_000);
const SECONDS = arg('seconds', 10);
const USER = 'bench@example.com';

function messageBytes(i: number): Buffer {
  // Threads of five: every fifth message starts a thread, the others reply to it.
  const root = i - (i % 5);
  const lines = [
    `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
    `To: ${USER}`,
    `Subject: ${i % 5 === 0 ? '' : 'Re: '}Topic ${root}`,
    `Date: ${new Date(Date.UTC(2026, 0, 1) + i * 60_000).toUTCString()}`,
    `Message-ID: <m${i}@example.org>`,
    ...(i % 5 === 0 ? [] : [`In-Reply-To: <m${root}@example.org>`, `References: <m${root}@example.org>`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Message number ${i}. ${'Lorem ipsum dolor sit amet. '.repeat(20)}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface LoadSpec {
  url: string;
  auth: string;
  body: string;
  clients: number;
  seconds: number;
}

/**
 * The load generator runs in a worker thread so client-side work does not steal the server's
 * event loop. Plain JavaScript (eval'd) because workers do not inherit the TypeScript loader.
 */
const LOAD_SCRIPT = `
const { parentPort, workerData: spec } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
(async () => {
  const latencies = [];
  const once = async () => {
    const res = await fetch(spec.url, { method: 'POST', headers: { Authorization: spec.auth, 'Content-Type': 'application/json' }, body: spec.body });
    const json = await res.json();
    if (res.status !== 200 || json.methodResponses[1][1].list.length !== 50) throw new Error('unexpected response ' + res.status);
  };
  for (let i = 0; i < 10; i++) await once();
  const deadline = performance.now() + spec.seconds * 1000;
  await Promise.all(Array.from({ length: spec.clients }, async () => {
    while (performance.now() < deadline) {
      const s = performance.now();
      await once();
      latencies.push(performance.now() - s);
    }
  }));
  parentPort.postMessage(latencies);
})();
`;

function runWorker(spec: LoadSpec): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_SCRIPT, { eval: true, workerData: spec });
    worker.once('message', (m: number[]) => resolve(m));
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-jmap-bench-'));
  const logger = silentLogger();
  const bus = new MemoryEventBus(logger);
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger });
  const users = new MemoryUsersRepository({ [USER]: 'pw' });
  const sessions = await startTestSessionControl({ bus, store, logger });
  const server = createJmapServer(
    { auth: new AuthService({ users, logger }), users, store, events: bus, logger, hostname: 'bench.test', sessions, spoolDir: join(dir, 'spool', 'jmap') },
    {
      enabled: true, bind: { host: '127.0.0.1', port: 0 }, urlPrefix: '', strategies: ['basic'],
      auth: { plainAuthEnabled: true, requireSSL: false }, xUser: { headerName: 'X-User', trustedProxies: [], secrets: [] }, proxyRequired: false,
      maxSizeUpload: 50_000_000, maxConcurrentUpload: 4, maxSizeRequest: 10_000_000, maxConcurrentRequests: 32,
      maxCallsInRequest: 16, maxObjectsInGet: 500, maxObjectsInSet: 500, tokenExpiry: { action: 'ignore' }, source: 'bench',
    },
  );
  try {
    await store.ensureAccount(USER);
    const inbox = (await store.findMailboxByRole(USER, 'inbox'))!.id;
    const t0 = performance.now();
    for (let start = 0; start < MESSAGES; start += 500) {
      const batch: AppendInput[] = [];
      for (let i = start; i < Math.min(MESSAGES, start + 500); i++) {
        batch.push({ mailboxIds: [inbox], bytes: messageBytes(i), receivedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000), keywords: i % 3 ? ['$seen'] : [] });
      }
      await store.appendMany(USER, batch);
    }
    console.log(`loaded ${MESSAGES} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    if (process.argv.includes('--store-only')) {
      const newest = (await store.queryEmails(USER, { filter: { kind: 'all' }, limit: 50 })).ids;
      for (const [label, fn] of [
        ['queryEmails', () => store.queryEmails(USER, { filter: { kind: 'inMailbox', mailboxId: inbox }, sort: [{ key: 'receivedAt', descending: true }], collapseThreads: true, limit: 50 })],
        ['queryEmails (no collapse)', () => store.queryEmails(USER, { filter: { kind: 'inMailbox', mailboxId: inbox }, sort: [{ key: 'receivedAt', descending: true }], limit: 50 })],
        ['getEmails parsed ×50', () => store.getEmails(USER, newest, { parsed: true })],
        ['getEmails metadata ×50', () => store.getEmails(USER, newest, { parsed: false })],
        ['getStates', () => store.getStates(USER)],
      ] as const) {
        const s = performance.now();
        for (let i = 0; i < 20; i++) await (fn as () => Promise<unknown>)();
        console.log(`${label}: ${((performance.now() - s) / 20).toFixed(2)} ms`);
      }
    }
    await server.start();
    const url = `http://127.0.0.1:${server.port()}/jmap`;
    const auth = 'Basic ' + Buffer.from(`${USER}:pw`).toString('base64');
    // The account id is whatever the session resource names (opaque, RFC 8620 §1.2).
    const session = (await (await fetch(`http://127.0.0.1:${server.port()}/jmap/session`, { headers: { Authorization: auth } })).json()) as {
      primaryAccounts: Record<string, string>;
    };
    const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    const body = JSON.stringify({
      using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
      methodCalls: [
        ['Email/query', { accountId, filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true, limit: 50, calculateTotal: true }, 'q'],
        ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['threadId', 'mailboxIds', 'keywords', 'from', 'subject', 'receivedAt', 'size', 'preview'] }, 'g'],
      ],
    });
    for (const clients of [1, 16]) {
      const start = performance.now();
      const latencies = await runWorker({ url, auth, body, clients, seconds: SECONDS });
      const elapsed = (performance.now() - start) / 1000;
      latencies.sort((a, b) => a - b);
      console.log(
        `${String(clients).padStart(2)} client(s): ${(latencies.length / elapsed).toFixed(0)} req/s, ` +
          `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (${latencies.length} requests)`,
      );
    }
  } finally {
    await server.stop(new Date(Date.now() + 1000));
    await sessions.close();
    await store.close();
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
