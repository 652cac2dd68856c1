// Small message blobs inside store.sqlite (src/store/sqlite/blob-store.ts): an append of a small
// message in memory stores its bytes in the commit's transaction instead of a blob file, under the
// same id; readers find them there; identical content is stored once, as a row or as a file; rows
// are collected like files (unreferenced and past the grace period).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore, openSqliteStoreFiles } from '../../src/store/sqlite/open.js';
import { INLINE_LIMIT } from '../../src/store/sqlite/blob-store.js';
import { SpooledMessage } from '../../src/store/spool/spooled.js';
import type { MailStore } from '../../src/store/types.js';
import { message } from './fixtures.js';

const USER = 'inline@example.org';
const OTHER = 'other@example.org';
const DAYS_40 = 40 * 24 * 3600 * 1000;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Blob files under blobs/ (two directory levels), by name. */
async function blobFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'blobs');
  const out: string[] = [];
  for (const a of await readdir(root)) for (const b of await readdir(path.join(root, a))) out.push(...(await readdir(path.join(root, a, b))));
  return out.sort();
}

/** The inline rows of a closed store: hash → size. */
function inlineRows(dataDir: string): Map<string, number> {
  const files = openSqliteStoreFiles(dataDir)!;
  try {
    const rows = files.db.prepare('SELECT hash, length(data) AS n FROM blob_inline').all() as Array<{ hash: string; n: number }>;
    return new Map(rows.map((r) => [r.hash, r.n]));
  } finally {
    files.db.close();
  }
}

async function withDir(fn: (dataDir: string, open: () => Promise<MailStore>) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-inline-'));
  try {
    await fn(dataDir, () => openSqliteStore({ dataDir, events: new MemoryEventBus() }));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function inboxOf(store: MailStore, account: string): Promise<string> {
  await store.ensureAccount(account);
  return (await store.findMailboxByPath(account, 'INBOX'))!.id;
}

describe('small blobs inside the SQLite store', () => {
  it('stores a small append in the database, once, readable whole and by range, and a large one as a file', async () => {
    await withDir(async (dataDir, open) => {
      const small = message({ subject: 'small', body: 'x'.repeat(INLINE_LIMIT - 400) });
      const large = message({ subject: 'large', body: 'y'.repeat(INLINE_LIMIT + 1) });
      const store = await open();
      let ids: string[];
      try {
        const inbox = await inboxOf(store, USER);
        const a = await store.append(USER, { mailboxIds: [inbox], bytes: small });
        const again = await store.append(USER, { mailboxIds: [inbox], bytes: small });
        const big = await store.append(USER, { mailboxIds: [inbox], bytes: large });
        assert.equal(a.blobId, sha256(small), 'the id is the sha256, as for a file');
        assert.equal(again.blobId, a.blobId);
        assert.deepEqual(await store.readMessage(USER, a.emailId), small);
        assert.deepEqual(await store.readMessage(USER, again.emailId, { start: 10, end: 30 }), small.subarray(10, 30));
        assert.deepEqual(await store.readBlob(USER, a.blobId, { start: small.length - 5, end: small.length + 100 }), small.subarray(small.length - 5));
        assert.equal(await store.blobSize(USER, a.blobId), small.length);
        assert.deepEqual(await store.readMessage(USER, big.emailId), large);
        ids = [a.blobId, big.blobId];
      } finally {
        await store.close();
      }
      assert.deepEqual([...inlineRows(dataDir)], [[ids[0], small.length]], 'one row for the twice-appended small message');
      assert.deepEqual(await blobFiles(dataDir), [ids[1]], 'only the large message is a file');
    });
  });

  it('keeps bytes that are a file already in that file, and copies of an inline blob by id', async () => {
    await withDir(async (dataDir, open) => {
      const bytes = message({ subject: 'uploaded first' });
      const store = await open();
      let inlineId: string;
      try {
        const inbox = await inboxOf(store, USER);
        const up = await store.uploadBlob(USER, bytes, 'message/rfc822');
        const appended = await store.append(USER, { mailboxIds: [inbox], bytes });
        assert.equal(appended.blobId, up.blobId);
        assert.deepEqual(await store.readMessage(USER, appended.emailId), bytes);

        const inline = await store.append(USER, { mailboxIds: [inbox], bytes: message({ subject: 'inline' }) });
        inlineId = inline.blobId;
        const byId = await store.append(USER, { mailboxIds: [inbox], bytes: { storedBlob: inline.blobId } });
        assert.equal(byId.blobId, inline.blobId);
        assert.deepEqual(await store.readMessage(USER, byId.emailId), await store.readMessage(USER, inline.emailId));
        assert.equal((await store.getEmails(USER, [byId.emailId], { parsed: true }))[0]!.parsed!.subject, 'inline', 'parsed from the row');
      } finally {
        await store.close();
      }
      assert.deepEqual([...inlineRows(dataDir).keys()], [inlineId]);
      assert.deepEqual(await blobFiles(dataDir), [sha256(bytes)]);
    });
  });

  it('stores a held message for several recipients once, and leaves it readable for the next', async () => {
    await withDir(async (dataDir, open) => {
      const bytes = message({ subject: 'to two' });
      const held = SpooledMessage.held(path.join(dataDir, 'spool'), bytes, sha256(bytes));
      const store = await open();
      try {
        const first = await store.append(USER, { mailboxIds: [await inboxOf(store, USER)], bytes: held });
        const second = await store.append(OTHER, { mailboxIds: [await inboxOf(store, OTHER)], bytes: held });
        assert.equal(first.blobId, second.blobId);
        assert.deepEqual(await store.readMessage(USER, first.emailId), bytes);
        assert.deepEqual(await store.readMessage(OTHER, second.emailId), bytes);
        assert.deepEqual(await held.read(), bytes);
      } finally {
        await held.discard();
        await store.close();
      }
      assert.deepEqual([...inlineRows(dataDir).keys()], [sha256(bytes)]);
      assert.deepEqual(await blobFiles(dataDir), []);
    });
  });

  it('collects a row once nothing refers to it and it is past the grace period', async () => {
    await withDir(async (dataDir, open) => {
      const store = await open();
      let kept: string;
      try {
        const inbox = await inboxOf(store, USER);
        const keep = await store.append(USER, { mailboxIds: [inbox], bytes: message({ subject: 'kept' }) });
        const gone = await store.append(USER, { mailboxIds: [inbox], bytes: message({ subject: 'gone' }) });
        kept = keep.blobId;
        await store.destroyEmails(USER, [gone.emailId]);
        assert.equal(await store.collectGarbage(), 0, 'young rows are never collected');
        assert.equal(await store.collectGarbage(new Date(Date.now() + DAYS_40)), 1);
        assert.deepEqual(await store.readMessage(USER, keep.emailId), await store.readBlob(USER, keep.blobId));
      } finally {
        await store.close();
      }
      assert.deepEqual([...inlineRows(dataDir).keys()], [kept]);
    });
  });
});
