// Tessera under comparison, in its own process so that its CPU and memory are measured alone: a whole
// server (runServe with the real protocol factories, as `tessera serve` runs it) on the conf
// directory given as argv[2], its JSON log on stderr as in production. Creates the users named in
// argv[3] (comma-separated), then talks to the parent over IPC: sends TesseraReady when listening;
// answers 'gc' (after a full collection, with --expose-gc) with its RSS and V8's figures (heap,
// external, ArrayBuffers); answers { snapshot: path } by writing a heap snapshot there; exits on 'stop'.
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { listenerPort } from '../../test/support/tessera-conf.js';

export interface TesseraReady {
  imapPort: number;
  /** The IMAP listener that checks (opaque) tokens by introspection. */
  introspectImapPort: number;
  submissionPort: number;
}

const confDir = process.argv[2] ?? '';
const users = (process.argv[3] ?? '').split(',').filter(Boolean);
const running = await runServe({ confDir, factories: protocolFactories });
for (const user of users) await running.context.users.add(user, 'unused-password-for-oauth-only');

function rssBytes(): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

/**
 * RSS after full collections, once it has stopped moving: after a busy round V8 gives pages back
 * over several collections, and a baseline taken in the middle of that would make the next
 * figure shrink (or go negative) however much the connections took.
 */
async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  let last = rssBytes();
  for (let i = 0; i < 8; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = rssBytes();
    if (Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

process.on('message', (msg: unknown) => {
  if (msg === 'gc') {
    void settledRss().then((rss) => {
      const { heapUsed, external, arrayBuffers } = process.memoryUsage();
      process.send?.({ rss, heapUsed, external, arrayBuffers });
    });
  } else if (typeof msg === 'object' && msg !== null && 'snapshot' in msg && typeof msg.snapshot === 'string') {
    process.send?.({ snapshot: writeHeapSnapshot(msg.snapshot) });
  } else if (msg === 'stop') {
    void running.stop().then(() => process.exit(0));
  }
});
const ready: TesseraReady = {
  imapPort: listenerPort(running, 'imap'),
  introspectImapPort: listenerPort(running, 'imap-introspect'), submissionPort: listenerPort(running, 'smtp-submission') };
process.send?.(ready);
