// BlobStore contract: uploads, and reads limited to what the account may see.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message } from '../fixtures.js';
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
