// Store benchmark (not a test): durable 4 KiB appends/s, envelope fetch of 10k messages, header and
// body search and JMAP query on an N-message mailbox, flag update of 10k messages.
// Usage: node --import tsx bench/store/run.ts [--messages N] [--appends N] [--concurrency N] [--keep]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { AppendInput } from '../../src/store/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const TOTAL = arg('messages', 100_000);
const KEEP = process.argv.includes("--keep");
const APPENDS = arg('appends', 2_000);
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike'];

function message(i: number, size = 4096): Buffer {
  const head =
    `From: User ${i % 500} <user${i % 500}@example.org>\r\nTo: bob@example.com\r\n` +
    `Subject: Report ${i} ${WORDS[i % WORDS.length]}\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n` +
    `Message-ID: <m${i}@bench>\r\nX-Seq: ${i}\r\nContent-Type: text/plain\r\n\r\n`;
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

  let t = performance.now();
  for (let i = 0; i < APPENDS; i++) await store.append('bench', { mailboxIds: [inbox], bytes: message(i) });
  report(`durable appends, 4 KiB, sequential (${APPENDS})`, performance.now() - t, APPENDS);

  t = performance.now();
  const conc = arg('concurrency', 16);
  let next = APPENDS;
  const stop = APPENDS * 2;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < stop) await store.append('bench', { mailboxIds: [inbox], bytes: message(next++) });
    }),
  );
  report(`durable appends, 4 KiB, ${conc} concurrent (${APPENDS})`, performance.now() - t, APPENDS);

  // Fill the mailbox up to TOTAL with batched appends (MULTIAPPEND-style transactions).
  t = performance.now();
  for (let i = stop; i < TOTAL; i += 500) {
    const batch: AppendInput[] = [];
    for (let j = i; j < Math.min(TOTAL, i + 500); j++) batch.push({ mailboxIds: [inbox], bytes: message(j, 1024 + (j % 7) * 512) });
    await store.appendMany('bench', batch);
  }
  report(`fill to ${TOTAL} messages (batches of 500)`, performance.now() - t, Math.max(0, TOTAL - stop));

  t = performance.now();
  const metas = await store.getMessages('bench', inbox, [[1, 10_000]], { envelope: true });
  const envelopes = metas.map((m) => m.envelope!);
  report(`envelope fetch, ${envelopes.length} messages`, performance.now() - t, envelopes.length);

  t = performance.now();
  const snap = await store.snapshot('bench', inbox);
  report(`SELECT snapshot of ${snap.messages.length} messages`, performance.now() - t);

  const searches: Array<[string, Parameters<typeof store.searchMailbox>[2]['criteria']]> = [
    ['header search SUBJECT "Report 4242 "', { kind: 'text', field: 'subject', value: 'Report 4242 ' }],
    ['header search FROM "user77@"', { kind: 'text', field: 'from', value: 'user77@' }],
    ['header search HEADER Message-ID "m9999@"', { kind: 'header', name: 'Message-ID', value: 'm9999@' }],
    ['body search BODY "needle7007"', { kind: 'text', field: 'body', value: 'needle7007' }],
    ['body search BODY "foxtrot golf" (common words)', { kind: 'text', field: 'body', value: 'foxtrot golf' }],
    ['flag search UNSEEN', { kind: 'flag', flag: '\\Seen', present: false }],
    ['SINCE + LARGER', { kind: 'and', of: [{ kind: 'receivedAt', notBefore: new Date(Date.now() - 3600_000) }, { kind: 'size', larger: 3000 }] }],
  ];
  for (const [label, criteria] of searches) {
    t = performance.now();
    const r = await store.searchMailbox('bench', inbox, { criteria });
    report(`${label} on ${TOTAL} → ${r.uids.length} hits`, performance.now() - t);
  }
  t = performance.now();
  const q = await store.queryEmails('bench', { filter: { kind: 'inMailbox', mailboxId: inbox }, sort: [{ key: 'receivedAt', descending: true }], collapseThreads: true, limit: 50 });
  report(`JMAP Email/query 50 newest, collapseThreads (total ${q.total})`, performance.now() - t);
  t = performance.now();
  await store.queryEmails('bench', { filter: { kind: 'inMailbox', mailboxId: inbox }, sort: [{ key: 'receivedAt', descending: true }], collapseThreads: true, limit: 50, calculateTotal: false });
  report(`JMAP Email/query 50 newest, collapseThreads, no total`, performance.now() - t);
  t = performance.now();
  const sorted = await store.searchMailbox('bench', inbox, { criteria: { kind: 'all' }, sort: [{ key: 'subject' }] });
  report(`SORT (SUBJECT) ALL on ${sorted.uids.length}`, performance.now() - t);

  t = performance.now();
  const res = await store.storeFlags('bench', inbox, [[1, 10_000]], { mode: 'add', flags: ['\\Seen'] });
  report(`flag update, ${res.messages.length} messages (one STORE)`, performance.now() - t, res.messages.length);
} finally {
  await store.close();
  if (KEEP) console.log(`kept ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}
