// AccountStore contract: accounts are created once with their special-use mailboxes.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runAccountsContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`AccountStore contract: ${name}`, () => {
    it('creates INBOX and the special-use mailboxes once, with roles', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount(USER);
        const list = await store.listMailboxes(USER);
        const byRole = Object.fromEntries(list.map((m) => [m.role, m.path]));
        assert.deepEqual(byRole, { inbox: 'INBOX', drafts: 'Drafts', sent: 'Sent', trash: 'Trash', junk: 'Junk', archive: 'Archive' });
        const inboxMb = list.find((m) => m.role === 'inbox')!;
        assert.equal(inboxMb.uidNext, 1);
        assert.ok(inboxMb.uidValidity > 0);
        assert.equal(inboxMb.subscribed, true);
        assert.equal((await store.findMailboxByPath(USER, 'inbox'))?.id, inboxMb.id);
        assert.equal((await store.findMailboxByRole(USER, 'trash'))?.path, 'Trash');
      });
    });
  });
}
