// The server under soak: a whole Tessera (runServe with the real protocol factories, as `tessera
// serve` runs it) on the soak's conf directory, in its own process so its memory is measured alone.
// Its log goes nowhere but is watched: every line at level error or above counts as a server error.
// Each 'mem' also collects garbage once (--expose-gc), after reading RSS, to report the live JS heap.
// `server-child.ts <users> <password>` creates soak0@… soak<users-1>@… and talks to the parent over
// IPC: sends SoakServerReady when listening, answers 'mem' with SoakServerMem, exits on 'stop'.
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { storeResource } from '../../src/server/protocols.js';
import { listenerPort } from '../../test/support/tessera-conf.js';
import { SOAK_DOMAIN, writeSoakConf } from './conf.js';
import { MAILBOX_KEEP, MAILBOX_TRIM_AT, soakMessage } from './context.js';

export interface SoakServerReady {
  imapPort: number;
  submissionPort: number;
  jmapUrl: string;
  users: string[];
  /** Messages seeded into the INBOXes before the soak, and how long that took (ms). */
  seeded: number;
  seedMs: number;
}

export interface SoakServerMem {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** RSS by kind (Linux /proc/self/status): anonymous memory, mapped files, shared memory; bytes. */
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  /** JS heap still in use right after a full garbage collection (the server runs with --expose-gc). */
  liveHeap: number;
  /** Handles and requests keeping the event loop alive, by type (sockets, timers…): a leak shows here. */
  resources: Record<string, number>;
  /**
   * The main thread's time on a CPU and time runnable but waiting for one, since start, in ms (Linux
   * /proc/self/schedstat; 0 elsewhere): much waiting means the machine, not the server, was short.
   */
  cpuMs: number;
  runQueueMs: number;
  /** Log lines at level error or above since start, and the first few of them. */
  errors: number;
  errorSamples: string[];
}

/** pino's numeric level for `error`. */
const ERROR_LEVEL = 50;

/** Counts the server's error lines without keeping the log. */
class ErrorCounter extends Writable {
  count = 0;
  readonly samples: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= ERROR_LEVEL) {
          this.count++;
          if (this.samples.length < 5) this.samples.push(`${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`);
        }
      } catch {
        // Not JSON: not a log line.
      }
    }
    callback();
  }
}

const userCount = Number(process.argv[2] ?? 200);
const password = process.argv[3] ?? 'soak-password';
const root = await mkdtemp(join(tmpdir(), 'tessera-soak-'));
const { confDir } = await writeSoakConf(root);
const log = new ErrorCounter();
const running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new Writable({ write: (_c, _e, cb) => cb() }), logDestination: log, env: {} } });
const users = Array.from({ length: userCount }, (_, i) => `soak${i}@${SOAK_DOMAIN}`);
for (const user of users) await running.context.users.add(user, password);
const seedStart = performance.now();
const seeded = await seedInboxes();
const seedMs = performance.now() - seedStart;
// What seeding parsed and built is garbage now: collected before the soak, so the first minute's
// figures are not inflated by it.
(globalThis as { gc?: () => void }).gc?.();

/**
 * Fills each INBOX with between MAILBOX_KEEP and MAILBOX_TRIM_AT messages (evenly spread over the
 * users), the band the IMAP clients keep mailboxes in, so the soak measures a steady state from its
 * first minute. The messages are a few hundred texts shared by all users: the blob store keeps each
 * once, and seeding costs rows, not thousands of fsynced files. Returns once the search index has
 * them too.
 */
async function seedInboxes(): Promise<number> {
  const store = await running.context.use(storeResource);
  const texts = Array.from({ length: MAILBOX_TRIM_AT }, (_, k) => soakMessage(`seed${k}@${SOAK_DOMAIN}`, `inbox@${SOAK_DOMAIN}`, `seeded ${k}`));
  const BATCH = 50;
  let total = 0;
  for (const [u, user] of users.entries()) {
    await store.ensureAccount(user);
    const inbox = await store.findMailboxByRole(user, 'inbox');
    if (!inbox) throw new Error(`${user} has no INBOX`);
    const count = MAILBOX_KEEP + Math.round(((MAILBOX_TRIM_AT - MAILBOX_KEEP) * (u + 0.5)) / users.length);
    for (let k = 0; k < count; k += BATCH) {
      const inputs = texts.slice(k, Math.min(count, k + BATCH)).map((bytes, i) => ({
        mailboxIds: [inbox.id],
        bytes,
        flags: (k + i) % 3 === 0 ? [] : ['\\Seen'],
        receivedAt: new Date(Date.now() - (count - k - i) * 60_000),
      }));
      await store.appendMany(user, inputs);
    }
    total += count;
  }
  // The full-text index catches up in a worker thread; a body search answers once it has, so the
  // soak's load does not start while the index is still taking the seeded messages in.
  await store.queryEmails(users[0]!, { filter: { kind: 'text', field: 'body', value: 'soak' } });
  return total;
}

/** A `VmRSS`-style field of /proc/self/status in bytes; 0 where there is no such file. */
function statusField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Collects garbage (after RSS was read, so that figure is the server's own) and measures what is left. */
function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return NaN;
  gc();
  return process.memoryUsage().heapUsed;
}

function schedstat(): { cpuMs: number; runQueueMs: number } {
  try {
    const [onCpu, waiting] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(' ').map(Number);
    return { cpuMs: (onCpu ?? 0) / 1e6, runQueueMs: (waiting ?? 0) / 1e6 };
  } catch {
    return { cpuMs: 0, runQueueMs: 0 };
  }
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

let snapshotCount = 0;
process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    const m = process.memoryUsage();
    let status = '';
    try {
      status = readFileSync('/proc/self/status', 'utf8');
    } catch {
      // Not Linux: the breakdown stays 0.
    }
    const reply: SoakServerMem = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      rssAnon: statusField(status, 'RssAnon'),
      rssFile: statusField(status, 'RssFile'),
      rssShmem: statusField(status, 'RssShmem'),
      liveHeap: liveHeap(),
      resources: resourceCounts(),
      ...schedstat(),
      errors: log.count,
      errorSamples: log.samples,
    };
    // SOAK_HEAP_SNAPSHOTS=<dir>: a heap snapshot after each minute's figures, for bench/soak/heap-diff.ts.
    const snapshots = process.env.SOAK_HEAP_SNAPSHOTS;
    if (snapshots) writeHeapSnapshot(join(snapshots, `soak-${String(++snapshotCount).padStart(2, '0')}.heapsnapshot`));
    process.send?.(reply);
  } else if (msg === 'stop') {
    void running
      .stop()
      .then(() => rm(root, { recursive: true, force: true }))
      .then(() => process.exit(0));
  }
});
const ready: SoakServerReady = {
  imapPort: listenerPort(running, 'imap'),
  submissionPort: listenerPort(running, 'smtp-submission'),
  jmapUrl: `http://127.0.0.1:${listenerPort(running, 'jmap')}`,
  users,
  seeded,
  seedMs,
};
process.send?.(ready);
