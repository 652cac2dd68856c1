// Ingest from spool files: append, appendMany, uploadBlob and the outbound queue take a finished
// spooled message by renaming its file into the blob store (identical content: the spool file is only
// removed), parse it within the process-wide ingest budget, and Email/import's stored-blob source
// reads an account's own blob only. Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';
import { NoSuchBlobError, OverQuotaError, type MailStore } from '../../../src/store/types.js';
import { SpoolDir, sharedIngestGate, PARSE_PEAK_FACTOR, ingestMemoryStats, resetIngestMemoryPeaks, type SpooledMessage } from '../../../src/store/index.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A message of about `size` bytes with a recognisable subject. */
function bigMessage(size: number, subject: string): Buffer {
  const head = message({ subject, body: '' });
  const line = `${'z'.repeat(70)}\r\n`;
  return Buffer.concat([head, Buffer.from(line.repeat(Math.ceil(size / line.length)), 'latin1')]);
}

/** Writes `bytes` through a spool writer in small slices, as a connection would, and finishes it. */
async function spool(dir: SpoolDir, bytes: Buffer, slice = 16 * 1024): Promise<SpooledMessage> {
  const writer = dir.message(0);
  for (let off = 0; off < bytes.length; off += slice) await writer.append(bytes.subarray(off, off + slice));
  return writer.finish();
}

async function withSpool(fn: (dir: SpoolDir) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-spool-contract-'));
  const dir = new SpoolDir(path.join(root, 'spool'));
  await dir.prepare();
  try {
    await fn(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function subjectOf(store: MailStore, emailId: string): Promise<string | null | undefined> {
  const [meta] = await store.getEmails(USER, [emailId], { parsed: true });
  return meta?.parsed?.subject;
}

export function runSpooledIngestContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`Spooled ingest contract: ${name}`, () => {
    it('append takes the spool file: stored byte-exact under its sha256, parsed, and nothing left once its owner discards it', async () => {
      await withStore(async (store) => {
        await withSpool(async (dir) => {
          const inboxId = await inbox(store);
          const bytes = bigMessage(600 * 1024, 'from a spool file');
          const spooled = await spool(dir, bytes);
          assert.equal(spooled.sha256, sha256(bytes));
          assert.equal(spooled.size, bytes.length);
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes: spooled });
          assert.equal(r.blobId, sha256(bytes));
          assert.equal(r.size, bytes.length);
          assert.deepEqual(await store.readMessage(USER, r.emailId), bytes);
          assert.equal(await subjectOf(store, r.emailId), 'from a spool file');
          assert.equal(spooled.inSpool, false, 'the store took the file');
          // A store without files (PostgreSQL) copied it: still readable by its owner until discarded.
          assert.ok((await spooled.head(64)).equals(bytes.subarray(0, 64)));
          await spooled.discard();
          assert.deepEqual(await dir.files(), []);
        });
      });
    });

    it('one spooled message appended for several accounts is stored once and readable by each', async () => {
      await withStore(async (store) => {
        await withSpool(async (dir) => {
          const inboxId = await inbox(store);
          await store.ensureAccount('bob');
          const bobInbox = (await store.findMailboxByRole('bob', 'inbox'))!.id;
          const bytes = bigMessage(300 * 1024, 'two recipients');
          const spooled = await spool(dir, bytes);
          const a = await store.append(USER, { mailboxIds: [inboxId], bytes: spooled });
          const b = await store.append('bob', { mailboxIds: [bobInbox], bytes: spooled });
          assert.equal(a.blobId, b.blobId);
          assert.deepEqual(await store.readMessage(USER, a.emailId), bytes);
          assert.deepEqual(await store.readMessage('bob', b.emailId), bytes);
          await spooled.discard(); // the store's file stays
          assert.deepEqual(await store.readMessage('bob', b.emailId), bytes);
        });
      });
    });

    it('appendMany mixes buffers and spooled messages; content already stored only drops the spool file', async () => {
      await withStore(async (store) => {
        await withSpool(async (dir) => {
          const inboxId = await inbox(store);
          const first = bigMessage(400 * 1024, 'first');
          const small = message({ subject: 'small' });
          const already = await store.append(USER, { mailboxIds: [inboxId], bytes: first });
          const again = await spool(dir, first);
          const other = await spool(dir, bigMessage(280 * 1024, 'second'));
          const rs = await store.appendMany(USER, [
            { mailboxIds: [inboxId], bytes: small },
            { mailboxIds: [inboxId], bytes: again },
            { mailboxIds: [inboxId], bytes: other, flags: ['\\Seen'] },
          ]);
          assert.deepEqual(rs.map((r) => r.placements[0]!.uid), [2, 3, 4]);
          assert.equal(rs[1]!.blobId, already.blobId);
          assert.deepEqual(await store.readMessage(USER, rs[1]!.emailId), first);
          assert.equal(await subjectOf(store, rs[2]!.emailId), 'second');
          for (const s of [again, other]) await s.discard();
          assert.deepEqual(await dir.files(), []);
        });
      });
    });

    it('a refused append (over quota) leaves the spool file to its owner', async () => {
      await withStore(
        async (store) => {
          await withSpool(async (dir) => {
            const inboxId = await inbox(store);
            const spooled = await spool(dir, bigMessage(300 * 1024, 'too big for the quota'));
            await assert.rejects(store.append(USER, { mailboxIds: [inboxId], bytes: spooled }), OverQuotaError);
            assert.equal(spooled.inSpool, true);
            assert.equal((await dir.files()).length, 1);
            await spooled.discard();
            assert.deepEqual(await dir.files(), []);
          });
        },
        { quota: { storage: 100 * 1024 } },
      );
    });

    it('uploadBlob and the outbound queue take spooled files too', async () => {
      await withStore(async (store) => {
        await withSpool(async (dir) => {
          await store.ensureAccount(USER);
          const bytes = Buffer.alloc(700 * 1024, 0x41);
          const upload = await spool(dir, bytes);
          const up = await store.uploadBlob(USER, upload, 'application/octet-stream');
          assert.equal(up.blobId, sha256(bytes));
          assert.equal(up.size, bytes.length);
          assert.deepEqual(await store.readBlob(USER, up.blobId), bytes);
          const out = bigMessage(260 * 1024, 'queued');
          const queued = await spool(dir, out);
          const item = await store.enqueueOutbound({ sender: USER, recipients: ['x@remote.example'], bytes: queued });
          assert.equal(item.blobId, sha256(out));
          assert.equal(item.size, out.length);
          for (const s of [upload, queued]) await s.discard();
          assert.deepEqual(await dir.files(), []);
        });
      });
    });

    it('a stored blob source imports an upload of this account, and no one else’s', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        await store.ensureAccount('bob');
        const bytes = bigMessage(300 * 1024, 'imported upload');
        const up = await store.uploadBlob(USER, bytes, 'message/rfc822');
        const r = await store.append(USER, { mailboxIds: [inboxId], bytes: { storedBlob: up.blobId } });
        assert.equal(r.blobId, up.blobId);
        assert.deepEqual(await store.readMessage(USER, r.emailId), bytes);
        assert.equal(await subjectOf(store, r.emailId), 'imported upload');
        const bobInbox = (await store.findMailboxByRole('bob', 'inbox'))!.id;
        await assert.rejects(store.append('bob', { mailboxIds: [bobInbox], bytes: { storedBlob: up.blobId } }), NoSuchBlobError);
        await assert.rejects(store.append(USER, { mailboxIds: [inboxId], bytes: { storedBlob: '../../etc/passwd' } }), NoSuchBlobError);
      });
    });

    it('large spooled messages appended at once are parsed in turns within the ingest budget', async () => {
      const budget = sharedIngestGate.budget;
      // Room for two 1.5 MiB messages counted at their parse peak, not for four.
      const room = 2 * 1536 * 1024 * PARSE_PEAK_FACTOR;
      sharedIngestGate.setBudget(room);
      try {
        await withStore(async (store) => {
          await withSpool(async (dir) => {
            const inboxId = await inbox(store);
            const bodies = [0, 1, 2, 3].map((i) => bigMessage(1536 * 1024, `turn ${i}`));
            const spooled = await Promise.all(bodies.map((b) => spool(dir, b, 256 * 1024)));
            resetIngestMemoryPeaks();
            const rs = await Promise.all(spooled.map((s) => store.append(USER, { mailboxIds: [inboxId], bytes: s })));
            const stats = ingestMemoryStats();
            assert.ok(stats.peakParsingBytes >= bodies[0]!.length * PARSE_PEAK_FACTOR, `peak ${stats.peakParsingBytes}: the gate was used, at the parse's peak`);
            assert.ok(stats.peakParsingBytes <= room, `peak ${stats.peakParsingBytes} bytes charged at once`);
            assert.equal(stats.parsingBytes, 0);
            for (const [i, r] of rs.entries()) assert.deepEqual(await store.readMessage(USER, r.emailId), bodies[i]);
          });
        });
      } finally {
        sharedIngestGate.setBudget(budget);
      }
    });
  });
}
