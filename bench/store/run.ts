// Store benchmark (not a test), the figures of issue 3: durable 4 KiB appends/s (sequential and
// concurrent), then on an N-message mailbox (100k by default): envelope fetch of 10k, header and
// body search, flag-only searches (UNSEEN, FLAGGED, KEYWORD), JMAP Email/query with
// collapseThreads, mailbox counts after a change, flag update of 10k messages.
// The mailbox is filled with the bulk path (appendMany in big batches: one transaction each), as
// an import would; it is not a durable-append figure. About 1% of the filled messages are unseen,
// 0.2% flagged, 0.1% carry a custom keyword, and threads of 1-4 messages reply to each other.
// Usage: node --import tsx bench/store/run.ts [--messages N] [--appends N] [--concurrency N,N] [--batch N] [--keep]
// (--keep leaves the store behind, e.g. for bench/store/rebuild.ts, which times a full-text rebuild)
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { AppendInput, EmailQueryRequest } from '../../src/store/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const TOTAL = arg('messages', 100_000);
const KEEP = process.argv.includes("--keep");
const APPENDS = arg('appends', 2_000);
const BATCH = arg('batch', 5_000);
const CONCURRENCY = (process.argv.includes('--concurrency') ? process.argv[process.argv.indexOf('--concurrency') + 1]! : '16,64').split(',').map(Number);
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike'];

function message(i: number, size = 4096): Buffer {
  // Every 4-message run is a thread: replies refer to the run's first message.
  const root = i - (i % 4);
  const reply = i !== root ? `In-Reply-To: <m${root}@bench>\r\nReferences: <m${root}@bench>\r\n` : '';
  const head =
    `From: User ${i % 500} <user${i % 500}@example.org>\r\nTo: bob@example.com\r\n` +
    `Subject: ${i !== root ? 'Re: ' : ''}Report ${root} ${WORDS[root % WORDS.length]}\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n` +
    `Message-ID: <m${i}@bench>\r\n${reply}X-Seq: ${i}\r\nContent-Type: text/plain\r\n\r\n`;
  let body = '';
  let w = i;
  while (head.length + body.length < size - 2) {
    body += WORDS[w % WORDS.length] + (w % 11 === 0 ? '\r\n' : ' ');
    w = (w * 7 + 3) % 1_000_003;
  }
  if (i % 1000 === 7) body = `needle${i} ` + body;
  return Buffer.from(head + body.slice(0, size - 2 - head.length) + '\r\n');
}

function report(label: string, ms: number, count?: number): void {
  const rate = count ? `  (${Math.round((count / ms) * 1000).toLocaleString('en')}/s)` : '';
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms${rate}`);
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-bench-'));
const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
try {
  await store.ensureAccount('bench');
  const inbox = (await store.findMailboxByPath('bench', 'INBOX'))!.id;
  let next = 0;

  // Messages are built before each timed run, so the figures are the store's alone.
  const prebuilt = (from: number): Buffer[] => Array.from({ length: APPENDS }, (_, k) => message(from + k));
  const bytes = prebuilt(next);
  let t = performance.now();
  for (let i = 0; i < APPENDS; i++) await store.append('bench', { mailboxIds: [inbox], bytes: bytes[i]! });
  next += APPENDS;
  report(`durable appends, 4 KiB, sequential (${APPENDS})`, performance.now() - t, APPENDS);

  /** Durable appends from `conc` concurrent writers (messages built beforehand). */
  async function concurrentAppends(conc: number, label: string): Promise<void> {
    const bytes = prebuilt(next);
    const base = next;
    const elu = performance.eventLoopUtilization();
    const start = performance.now();
    const stop = next + APPENDS;
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (next < stop) await store.append('bench', { mailboxIds: [inbox], bytes: bytes[next++ - base]! });
      }),
    );
    const busy = performance.eventLoopUtilization(elu).utilization;
    report(`durable appends, 4 KiB, ${conc} concurrent${label} (${APPENDS}; main thread ${Math.round(busy * 100)}% busy)`, performance.now() - start, APPENDS);
  }

  // On an empty store most appends also create their blob's directory (blobs/ab/cd/, 65,536 of
  // them), one more fsync each; see the same figures again on the full store below.
  for (const conc of CONCURRENCY) await concurrentAppends(conc, '');

  // Fill the mailbox up to TOTAL with the bulk path: big appendMany batches, one transaction each.
  const filled = next;
  t = performance.now();
  let lap = t;
  let lapCount = 0;
  while (next < TOTAL) {
    const batch: AppendInput[] = [];
    for (const end = Math.min(TOTAL, next + BATCH); next < end; next++) {
      const flags = [...(next % 100 === 0 ? [] : ['\\Seen']), ...(next % 500 === 3 ? ['\\Flagged'] : []), ...(next % 1000 === 5 ? ['project-x'] : [])];
      batch.push({ mailboxIds: [inbox], bytes: message(next, 1024 + (next % 7) * 512), flags });
    }
    await store.appendMany('bench', batch);
    lapCount += batch.length;
    if (next % 20_000 < BATCH) {
      const now = performance.now();
      console.log(`  … ${next} messages (last ${lapCount}: ${Math.round((lapCount / (now - lap)) * 1000)}/s)`);
      lap = now;
      lapCount = 0;
    }
  }
  report(`bulk fill to ${TOTAL} messages (appendMany, batches of ${BATCH})`, performance.now() - t, Math.max(0, TOTAL - filled));

  for (const conc of CONCURRENCY) await concurrentAppends(conc, `, on ${next} messages`);

  // The full-text index is written by a worker thread that trails a bulk load; the first text
  // search waits for it. Timed apart, so that the searches below measure searching.
  t = performance.now();
  await store.searchMailbox('bench', inbox, { criteria: { kind: 'text', field: 'body', value: 'catch-up probe' } });
  report('full-text index catch-up after the bulk fill (first text search)', performance.now() - t);

  t = performance.now();
  const metas = await store.getMessages('bench', inbox, [[1, 10_000]], { envelope: true });
  const envelopes = metas.map((m) => m.envelope!);
  report(`envelope fetch, ${envelopes.length} messages`, performance.now() - t, envelopes.length);

  t = performance.now();
  const snap = await store.snapshot('bench', inbox);
  report(`SELECT snapshot of ${snap.messages.length} messages`, performance.now() - t);

  const searches: Array<[string, Parameters<typeof store.searchMailbox>[2]['criteria']]> = [
    ['header search SUBJECT "Report 4240 "', { kind: 'text', field: 'subject', value: 'Report 4240 ' }],
    ['header search FROM "user77@"', { kind: 'text', field: 'from', value: 'user77@' }],
    ['header search HEADER Message-ID "m9999@"', { kind: 'header', name: 'Message-ID', value: 'm9999@' }],
    ['body search BODY "needle7007"', { kind: 'text', field: 'body', value: 'needle7007' }],
    ['body search BODY "foxtrot golf" (common words)', { kind: 'text', field: 'body', value: 'foxtrot golf' }],
    ['flag search UNSEEN', { kind: 'flag', flag: '\\Seen', present: false }],
    ['flag search FLAGGED', { kind: 'flag', flag: '\\Flagged', present: true }],
    ['flag search KEYWORD project-x', { kind: 'flag', flag: 'project-x', present: true }],
    ['flag search UNSEEN FLAGGED', { kind: 'and', of: [{ kind: 'flag', flag: '\\Seen', present: false }, { kind: 'flag', flag: '\\Flagged', present: true }] }],
    ['SINCE + LARGER', { kind: 'and', of: [{ kind: 'receivedAt', notBefore: new Date(Date.now() - 3600_000) }, { kind: 'size', larger: 3000 }] }],
  ];
  for (const [label, criteria] of searches) {
    t = performance.now();
    const r = await store.searchMailbox('bench', inbox, { criteria });
    report(`${label} on ${TOTAL} → ${r.uids.length} hits`, performance.now() - t);
  }
  const newest: EmailQueryRequest = { filter: { kind: "inMailbox", mailboxId: inbox }, sort: [{ key: "receivedAt", descending: true }], collapseThreads: true, limit: 50 };
  for (const round of ['', ' (again)']) {
    t = performance.now();
    const q = await store.queryEmails('bench', newest);
    report(`JMAP Email/query 50 newest, collapseThreads${round} (total ${q.total})`, performance.now() - t);
  }
  t = performance.now();
  await store.queryEmails('bench', { ...newest, calculateTotal: false });
  report(`JMAP Email/query 50 newest, collapseThreads, no total`, performance.now() - t);
  t = performance.now();
  const unread = await store.queryEmails('bench', {
    filter: { kind: 'and', of: [{ kind: 'inMailbox', mailboxId: inbox }, { kind: 'flag', flag: '$seen', present: false }] },
    sort: [{ key: 'receivedAt', descending: true }],
    collapseThreads: true,
    limit: 50,
  });
  report(`JMAP Email/query unread in mailbox (total ${unread.total})`, performance.now() - t);
  t = performance.now();
  const sorted = await store.searchMailbox('bench', inbox, { criteria: { kind: 'all' }, sort: [{ key: 'subject' }] });
  report(`SORT (SUBJECT) ALL on ${sorted.uids.length}`, performance.now() - t);

  // What a client sees right after new mail: STATUS/Mailbox counts recomputed after a change.
  await store.append('bench', { mailboxIds: [inbox], bytes: message(next++) });
  t = performance.now();
  const mb = await store.getMailbox('bench', inbox);
  report(`mailbox counts after a change (STATUS, ${mb!.totalEmails} messages)`, performance.now() - t);

  t = performance.now();
  const res = await store.storeFlags('bench', inbox, [[1, 10_000]], { mode: 'add', flags: ['\\Flagged'] });
  report(`flag update, ${res.messages.length} messages (one STORE)`, performance.now() - t, res.messages.length);
} finally {
  await store.close();
  if (KEEP) console.log(`kept ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}
