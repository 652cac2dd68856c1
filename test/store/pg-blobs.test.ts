// Blobs in PostgreSQL (src/store/postgres/blobs.ts): stored as rows of at most CHUNK bytes, each
// written and read by a statement of its own, so no statement carries a whole large message;
// identical content is stored once, also when two writers race; ranges that cross chunk edges read
// right; a spool file streams in and is removed when its owner discards it; content that does not match its name is refused.
// Skipped without PostgreSQL (a failure under CI=true).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { createPool, Conn } from '../../src/store/postgres/db.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { CHUNK, PgBlobs } from '../../src/store/postgres/blobs.js';
import { SpooledMessage } from '../../src/store/spool/spooled.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { message } from './fixtures.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();

/** Bytes that differ chunk to chunk, so a chunk read from the wrong place shows. */
function content(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed + Math.floor(i / 997)) & 0xff;
  return b;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Records the largest Buffer any statement of the pool's connections sent. */
function largestParameter(pool: pg.Pool): { max: number } {
  const seen = { max: 0 };
  pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query;
    client.query = function recorded(this: pg.PoolClient, ...args: unknown[]) {
      const values = Array.isArray(args[1]) ? (args[1] as unknown[]) : [];
      for (const v of values) if (Buffer.isBuffer(v)) seen.max = Math.max(seen.max, v.length);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof client.query;
  });
  return seen;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('blobs in PostgreSQL', { skip: unavailable ?? false }, () => {
  after(dropSharedDatabase);

  it('stores chunks of at most CHUNK bytes, once per content, and reads any range across chunk edges', async () => {
    const db = await createTestSchema();
    const pool = createPool({ url: db.url, schema: db.schema, poolSize: 3 });
    const sent = largestParameter(pool);
    try {
      await migrate(pool, db.schema);
      const blobs = new PgBlobs(pool);
      const q = new Conn(pool);
      const bytes = content(2 * CHUNK + 12345, 7);
      // Two writers of the same new content at once: one stores it, the other finds it there.
      const [h1, h2] = await Promise.all([blobs.put(bytes), blobs.put(Buffer.from(bytes))]);
      assert.equal(h1, sha256(bytes));
      assert.equal(h2, h1);
      assert.equal(await blobs.put(bytes), h1, 'stored again: the same name');
      const rows = await q.all<{ n: number; len: number }>('SELECT n, octet_length(data) AS len FROM blob_chunk WHERE hash = ? ORDER BY n', h1);
      assert.deepEqual(rows.map((r) => r.n), [0, 1, 2], 'one set of chunks');
      assert.deepEqual(rows.map((r) => r.len), [CHUNK, CHUNK, 12345]);
      assert.equal((await q.pluck<number>('SELECT count(*) FROM blob'))[0], 1);
      assert.ok(sent.max <= CHUNK, `a statement sent ${sent.max} bytes`);

      const chunks = await collect(blobs.stream(h1));
      assert.ok(chunks.every((c) => c.length <= CHUNK), 'each read is one chunk at most');
      assert.ok(Buffer.concat(chunks).equals(bytes));
      for (const [start, end] of [[0, 1], [CHUNK - 5, CHUNK + 5], [CHUNK, 2 * CHUNK], [10, 2 * CHUNK + 12345], [2 * CHUNK + 12000, 2 * CHUNK + 99999], [5, 5]] as const) {
        const got = await blobs.read(h1, { start, end });
        assert.ok(got?.equals(bytes.subarray(start, end)), `range ${start}-${end}`);
      }
      assert.equal(await blobs.read(sha256(Buffer.from('absent'))), null);
      assert.deepEqual(await collect(blobs.stream(sha256(Buffer.from('absent')))), []);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it('streams a spool file in (removed when its owner discards it), and refuses content that does not match its name', async () => {
    const db = await createTestSchema();
    const pool = createPool({ url: db.url, schema: db.schema, poolSize: 2 });
    const sent = largestParameter(pool);
    const spool = await mkdtemp(path.join(os.tmpdir(), 'tessera-pg-blob-'));
    try {
      await migrate(pool, db.schema);
      const blobs = new PgBlobs(pool);
      const bytes = content(3 * CHUNK + 1, 11);
      const file = path.join(spool, 'arrived.eml');
      await writeFile(file, bytes);
      const source = new SpooledMessage(file, bytes.length, sha256(bytes));
      const hash = await blobs.adopt(source);
      assert.equal(hash, sha256(bytes));
      // Taken (the next append refers to the blob), yet readable until its owner discards it.
      assert.equal(source.inSpool, false);
      assert.ok((await source.head(10)).equals(bytes.subarray(0, 10)));
      assert.ok((await blobs.read(hash))?.equals(bytes));
      await source.discard();
      assert.deepEqual(await readdir(spool), [], 'the spool file is gone once discarded');
      assert.ok(sent.max <= CHUNK, `a statement sent ${sent.max} bytes`);

      const other = content(CHUNK + 3, 12);
      const wrongName = sha256(Buffer.from('something else'));
      await assert.rejects(blobs.copyIn(wrongName, other.length, async function* () {
        yield other;
      }), /sha256/);
      assert.equal(await blobs.sizeOf(wrongName), null, 'nothing kept under the wrong name');
      assert.equal((await new Conn(pool).pluck<number>('SELECT count(*) FROM blob_chunk WHERE hash = ?', wrongName))[0], 0);
    } finally {
      await rm(spool, { recursive: true, force: true });
      await pool.end();
      await db.drop();
    }
  });

  it('commits a small message with the rows of its append: an append that fails leaves no blob, and racing appends of one content store it once', async () => {
    const db = await createTestSchema();
    const store = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: new MemoryEventBus() });
    const pool = createPool({ url: db.url, schema: db.schema, poolSize: 1 });
    const q = new Conn(pool);
    try {
      for (const user of ['ann', 'ben', 'cat']) await store.ensureAccount(user);
      const inbox = async (user: string): Promise<string> => (await store.findMailboxByPath(user, 'INBOX'))!.id;
      const failing = message({ subject: 'never stored' });
      // The replaced mailbox does not exist: the append's transaction fails after its blob was written.
      await assert.rejects(store.append('ann', { mailboxIds: [await inbox('ann')], bytes: failing }, { replaces: { mailboxId: 'm999999', uid: 1 } }));
      assert.equal(await q.get('SELECT hash FROM blob WHERE hash = ?', sha256(failing)), undefined, 'the failed append left its blob behind');

      const shared = message({ subject: 'to three at once' });
      const results = await Promise.all(['ann', 'ben', 'cat'].map(async (u) => store.append(u, { mailboxIds: [await inbox(u)], bytes: shared })));
      assert.ok(results.every((r) => r.blobId === sha256(shared)));
      const chunks = await q.all<{ n: number; size: number }>('SELECT n, length(data) AS size FROM blob_chunk WHERE hash = ?', sha256(shared));
      assert.deepEqual(chunks, [{ n: 0, size: shared.length }]);
      for (const [k, u] of ['ann', 'ben', 'cat'].entries()) assert.ok((await store.readMessage(u, results[k]!.emailId))!.equals(shared));
    } finally {
      await pool.end();
      await store.close();
      await db.drop();
    }
  });
});
