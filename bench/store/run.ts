// Store engine bench: appends per second and STORE (flag) changes per second against the SQLite and
// PostgreSQL engines, in process, with `concurrency` appends in flight (as that many SMTP/IMAP
// sessions would have). PostgreSQL runs on a throwaway database with a random name, dropped after.
//   node --import tsx bench/store/run.ts [messages=2000] [concurrency=8] [pgUrl=postgres://postgres@127.0.0.1:5432/postgres]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { MailStore } from '../../src/store/types.js';

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 8);
const adminUrl = process.argv[4] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USER = 'bench@example.org';

function message(i: number): Buffer {
  const body = `Line of the message body number ${i}, with some words to index.\r\n`.repeat(40);
  return Buffer.from(`From: a${i % 50}@example.org\r\nTo: ${USER}\r\nSubject: bench ${i}\r\nMessage-ID: <b${i}@bench>\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\n${body}`);
}

async function lanes(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function measure(name: string, store: MailStore): Promise<void> {
  await store.ensureAccount(USER);
  const inbox = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
  const uids: number[] = [];
  const appendSecs = await lanes(total, async (i) => {
    const r = await store.append(USER, { mailboxIds: [inbox], bytes: message(i) }, { delivery: true });
    uids.push(r.placements[0]!.uid);
  });
  const flagSecs = await lanes(total, async (i) => {
    await store.storeFlags(USER, inbox, [uids[i]!], { mode: 'add', flags: ['\\Seen'] });
  });
  const searchStart = process.hrtime.bigint();
  const found = await store.searchMailbox(USER, inbox, { criteria: { kind: 'text', field: 'subject', value: 'bench 1' } });
  const searchMs = Number(process.hrtime.bigint() - searchStart) / 1e6;
  console.log(
    `${name.padEnd(10)} append ${(total / appendSecs).toFixed(0).padStart(6)}/s   store flags ${(total / flagSecs).toFixed(0).padStart(6)}/s   ` +
      `SEARCH SUBJECT "bench 1" ${found.uids.length} hits in ${searchMs.toFixed(1)} ms`,
  );
}

console.log(`${total} messages of ~2.7 KB, ${concurrency} in flight`);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-bench-store-'));
try {
  const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
  await measure('sqlite', store);
  await store.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

const dbName = `tessera_bench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
try {
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const store = await openPostgresStore({ url: url.toString(), poolSize: concurrency + 2, events: new MemoryEventBus() });
  await measure('postgres', store);
  await store.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
