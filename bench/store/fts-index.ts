// Full-text index worker cost: CPU of the worker thread per indexed email, for a corpus of 2-250 KB
// texts written to email_text in commits of BATCH emails (as group commit hands them over), each
// caught up before the next (one index transaction per commit). Then times a few searches, whose
// answers it prints so runs of two index formats can be compared. With a corpus file, the bodies are
// slices of it (real text has far more distinct trigrams than the generated words), e.g. Vim's
// release notes: cat /usr/share/vim/vim90/doc/version*.txt > /tmp/corpus.txt
// Usage: node --import tsx bench/store/fts-index.ts [emails=300] [batch=8] [corpus-file]
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../../src/store/sqlite/db.js';
import { FtsIndex } from '../../src/store/sqlite/fts-index.js';
import { mulberry32 } from '../../test/support/prng.js';

const emails = Number(process.argv[2] ?? 300);
const batch = Number(process.argv[3] ?? 8);
const corpus = process.argv[4] ? readFileSync(process.argv[4], 'utf8') : null;
const rand = mulberry32(18);

const WORDS = 'the of and to in is was for on that with as by at from his her this which are be or had not but have were they all one been their has more when there who some would will into other its then could time these two may first only like new over such also most after years people about many where those through between year world state made because city part great used while called number under each well being both during known system first however'.split(' ');

/** Mail-like text of about `bytes` characters: words, some numbers and an occasional accent. */
function text(bytes: number): string {
  if (corpus && bytes > 100) {
    const at = Math.floor(rand() * Math.max(1, corpus.length - bytes));
    return corpus.slice(at, at + bytes);
  }
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const r = rand();
    const w = r < 0.05 ? String(Math.floor(rand() * 1e6)) : r < 0.07 ? 'Café' : WORDS[Math.floor(rand() * WORDS.length)]!;
    out.push(w);
    n += w.length + 1;
    if (rand() < 0.08) out.push('\n');
  }
  return out.join(' ');
}

/** Sizes log-uniform over 2-250 KB, the range of the append comparison. */
const sizes = Array.from({ length: emails }, () => Math.round(2048 * Math.pow(125, rand())));

/** [user, system] CPU ticks of one thread of this process (Linux /proc). */
async function threadTicks(tid: string): Promise<[number, number]> {
  const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-fts-bench-'));
try {
  const mainFile = path.join(dir, 'store.sqlite');
  const db = openDatabase(mainFile, () => {
    throw new Error('no blobs in this bench');
  });
  const before = new Set(await readdir('/proc/self/task'));
  const fts = new FtsIndex({ searchFile: path.join(dir, 'search.sqlite'), mainFile });
  fts.start();
  const insert = db.prepare('INSERT INTO email_text (email_id, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const lastSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'fts_log'").pluck();
  const caughtUp = async (seq: number): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while (fts.appliedUpTo < seq) {
      if (Date.now() > deadline) throw new Error('the index worker did not catch up');
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  // The worker's thread is the one that appeared with it (reconcile of the empty store ran by now).
  await caughtUp(0);
  await new Promise((r) => setTimeout(r, 200));
  const workerTids = [...new Set(await readdir('/proc/self/task'))].filter((t) => !before.has(t));
  const ticksOf = async (): Promise<[number, number]> =>
    (await Promise.all(workerTids.map(threadTicks))).reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);

  const texts = sizes.map((s, i) => [`Subject number ${i} about ${text(40)}`, `Sender ${i} <s${i}@example.org>`, 'rcpt@example.org', '', '', `from: Sender ${i} <s${i}@example.org>\nsubject: number ${i}\nmessage-id: <m${i}@bench>`, text(s)]);
  const totalBytes = texts.reduce((a, t) => a + t[6]!.length, 0);
  const t0 = performance.now();
  const c0 = await ticksOf();
  for (let i = 0; i < emails; i += batch) {
    db.transaction(() => {
      for (let j = i; j < Math.min(i + batch, emails); j++) insert.run(j + 1, ...texts[j]!);
    })();
    fts.poke();
    await caughtUp(lastSeq.get() as number);
  }
  const c1 = await ticksOf();
  const [user, system] = [c1[0] - c0[0], c1[1] - c0[1]];
  const ticks = user + system;
  const wall = performance.now() - t0;
  const tickMs = 10; // USER_HZ is 100 on Linux
  console.log(`indexed ${emails} emails (${(totalBytes / 1e6).toFixed(1)} MB body, batches of ${batch}) in ${(wall / 1000).toFixed(2)} s wall`);
  console.log(`worker CPU: ${((ticks * tickMs) / emails).toFixed(2)} ms/email (user ${((user * tickMs) / emails).toFixed(2)}, system ${((system * tickMs) / emails).toFixed(2)}), ${((ticks * tickMs) / (totalBytes / 1e6)).toFixed(1)} ms/MB`);
  const probes = ['number', 'the of', 'café', 'subject number 17 ', 'nothing here at all'];
  for (const value of probes) {
    const t = performance.now();
    const ids = await matchBody(fts, value);
    console.log(`search ${JSON.stringify(value)}: ${ids} hits in ${(performance.now() - t).toFixed(1)} ms`);
  }
  await fts.close();
  console.log(`index size after close: ${((await stat(path.join(dir, 'search.sqlite'))).size / 1e6).toFixed(1)} MB`);
  db.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** How many emails' body holds `value` (through the store's own query path). */
async function matchBody(fts: FtsIndex, value: string): Promise<number> {
  const { ftsQueries } = await import('../../src/store/sqlite/search-sql.js');
  const queries = ftsQueries({ kind: 'text', field: 'body', value }, 'account');
  const results = await fts.match(queries);
  return results.reduce((a, r) => a + r.length, 0);
}
