// The server under soak: a whole Tessera (runServe with the real protocol factories, as `tessera
// serve` runs it) on the soak's conf directory, in its own process so its memory is measured alone.
// Its log goes nowhere but is watched: every line at level error or above counts as a server error.
// Each 'mem' also collects garbage once (--expose-gc), after reading RSS, to report the live JS heap.
// `server-child.ts <users> <password>` creates soak0@… soak<users-1>@… and talks to the parent over
// IPC: sends SoakServerReady when listening, answers 'mem' with SoakServerMem, exits on 'stop'.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { listenerPort } from '../../test/support/tessera-conf.js';
import { SOAK_DOMAIN, writeSoakConf } from './conf.js';

export interface SoakServerReady {
  imapPort: number;
  submissionPort: number;
  jmapUrl: string;
  users: string[];
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

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

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
      errors: log.count,
      errorSamples: log.samples,
    };
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
};
process.send?.(ready);
