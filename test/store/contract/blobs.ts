// BlobStore contract: uploads, and reads limited to what the account may see.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message } from '../fixtures.js';
import { readAll } from '../../../src/store/byte-sources.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runBlobsContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`BlobStore contract: ${name}`, () => {
    it('lets an account read only its own blobs', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount('bob');
        const up = await store.uploadBlob(USER, Buffer.from('attachment'), 'text/plain');
        assert.deepEqual(await store.readBlob(USER, up.blobId), Buffer.from('attachment'));
        assert.deepEqual(await store.readBlob(USER, up.blobId, { start: 2, end: 5 }), Buffer.from('tac'));
        assert.equal(await store.readBlob('bob', up.blobId), null);
        assert.equal(await store.readBlob(USER, '../../etc/passwd'), null);
        const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
        const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        assert.ok(await store.readBlob(USER, r.blobId));
        assert.equal(await store.readBlob('bob', r.blobId), null);
        assert.equal(await store.readMessage('bob', r.emailId), null);
      });
    });

    it('opens messages, uploads and queued messages to be read a chunk at a time, whole or a range', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount('bob');
        const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
        // One message small enough to be kept inline, one of several chunks (files or chunk rows).
        const small = message({ subject: 'small' });
        const big = message({ subject: 'big', body: `${'0123456789abcdef'.repeat(48 * 1024)}\r\nend` });
        for (const bytes of [small, big]) {
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes });
          const whole = await store.openMessage(USER, r.emailId);
          assert.ok(whole);
          assert.equal(whole.size, bytes.length);
          const chunks: Buffer[] = [];
          for await (const chunk of whole.chunks()) chunks.push(chunk);
          assert.ok(chunks.every((c) => c.length <= 256 * 1024), 'no chunk over 256 KiB');
          assert.ok(Buffer.concat(chunks).equals(bytes));
          // A range across the first chunk boundary of a big blob, and one past the end (clipped).
          for (const range of [{ start: 262_000, end: 263_000 }, { start: 10, end: 90 }, { start: bytes.length - 5, end: bytes.length + 100 }]) {
            const part = await store.openMessage(USER, r.emailId, range);
            const expected = bytes.subarray(range.start, range.end);
            assert.equal(part?.size, expected.length);
            assert.ok((await readAll(part!)).equals(expected), `range ${range.start}-${range.end}`);
          }
          const asBlob = await store.openBlob(USER, r.blobId, { start: 0, end: 20 });
          assert.ok((await readAll(asBlob!)).equals(bytes.subarray(0, 20)));
          assert.equal(await store.openMessage('bob', r.emailId), null);
          assert.equal(await store.openBlob('bob', r.blobId), null);
        }
        const up = await store.uploadBlob(USER, Buffer.from('attachment'), 'text/plain');
        assert.ok((await readAll((await store.openBlob(USER, up.blobId, { start: 2, end: 5 }))!)).equals(Buffer.from('tac')));
        assert.equal(await store.openBlob(USER, '../../etc/passwd'), null);
        const queued = await store.enqueueOutbound({ sender: 'a@x', recipients: ['b@y'], bytes: big });
        const out = await store.openOutbound(queued.id);
        assert.equal(out?.size, big.length);
        assert.ok((await readAll(out!)).equals(big));
      });
    });

    it('sizes readable blobs without reading them and names the emails of a message blob', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount('bob');
        const up = await store.uploadBlob(USER, Buffer.from('attachment'), 'text/plain');
        assert.equal(await store.blobSize(USER, up.blobId), 10);
        assert.equal(await store.blobSize('bob', up.blobId), null);
        assert.equal(await store.blobSize(USER, '../../etc/passwd'), null);
        assert.deepEqual(await store.emailsWithBlob(USER, up.blobId), []);
        const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
        const bytes = message({});
        const a = await store.append(USER, { mailboxIds: [inboxId], bytes });
        const b = await store.append(USER, { mailboxIds: [inboxId], bytes });
        assert.equal(await store.blobSize(USER, a.blobId), bytes.length);
        assert.deepEqual((await store.emailsWithBlob(USER, a.blobId)).sort(), [a.emailId, b.emailId].sort());
        assert.deepEqual(await store.emailsWithBlob('bob', a.blobId), []);
      });
    });
  });
}
