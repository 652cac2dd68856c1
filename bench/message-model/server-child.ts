// The servers under benchmark, in their own process so the load generator does not share their
// event loop. Started as the other benches start theirs (the test harnesses: real IMAP and JMAP
// servers on SQLite stores in temp directories); each store is filled with the same N messages
// through the store's public API. Sends ChildReady over IPC when ready, answers 'cpu' with the
// process's CPU time, exits on 'stop'.
import { performance } from 'node:perf_hooks';
import { startImap } from '../../test/imap/harness.js';
import { startHarness } from '../../test/jmap/harness.js';
import { keywordsOf, messageBytes, receivedAt } from './messages.js';

export interface ChildReady {
  imapPort: number;
  jmapUrl: string;
  user: string;
  password: string;
  messages: number;
  bytes: number;
  fillMs: number;
}

const USER = 'bench@example.org';
const PASSWORD = 'bench-pw';
const N = Number(process.argv[2] ?? 2000);
const BATCH = 250;

const imap = await startImap({ users: { [USER]: PASSWORD } });
// The test default admits exactly 4 concurrent requests; leave room above the bench's 4 clients.
const jmap = await startHarness({ users: { [USER]: PASSWORD }, config: { maxConcurrentRequests: 16 } });

/** Built once, appended to both stores, so both protocols serve the same bytes. */
const messages = Array.from({ length: N }, (_, i) => messageBytes(i));
const bytes = messages.reduce((sum, m) => sum + m.length, 0);

const t0 = performance.now();
for (const store of [imap.store, jmap.store]) {
  await store.ensureAccount(USER);
  const inbox = (await store.findMailboxByRole(USER, 'inbox'))!.id;
  for (let start = 0; start < N; start += BATCH) {
    const batch = messages.slice(start, start + BATCH).map((m, k) => ({
      mailboxIds: [inbox],
      bytes: m,
      receivedAt: receivedAt(start + k),
      keywords: keywordsOf(start + k),
    }));
    await store.appendMany(USER, batch);
  }
}
const fillMs = performance.now() - t0;

process.on('message', (msg: unknown) => {
  // CPU time of the whole server process (all threads), in microseconds: on a busy machine it
  // varies far less than wall-clock rates, so before/after comparisons can lean on it.
  if (msg === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuMicros: u.user + u.system });
  } else if (msg === 'stop') void Promise.all([imap.close(), jmap.close()]).then(() => process.exit(0));
});
const ready: ChildReady = { imapPort: imap.port, jmapUrl: jmap.url, user: USER, password: PASSWORD, messages: N, bytes, fillMs };
process.send?.(ready);
