// MetadataStore contract (IMAP METADATA, RFC 5464), the append `replaces` option (IMAP REPLACE,
// RFC 8508) and save dates (IMAP SAVEDATE, RFC 8514), on the store and through the rights-checked
// view (actingAs) on a shared mailbox. Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataLimitError } from '../../../src/store/types.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

const LIMITS = { maxValueSize: 16, maxEntries: 3 };
const BOB = 'bob@example.org';
const MSG = (subject: string): Buffer => Buffer.from(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
const v = (s: string): Buffer => Buffer.from(s);

export function runMetadataContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`MetadataStore contract: ${name}`, () => {
    it('keeps /private per user and /shared per mailbox, reads by depth, removes with NIL', async () => {
      await withStore(async (store) => {
        const box = await inbox(store);
        await store.setMetadata(USER, box, [{ name: '/shared/comment', value: v('s') }, { name: '/private/a', value: v('1') }, { name: '/private/a/b', value: v('2') }], LIMITS);
        await store.setMetadata(USER, null, [{ name: '/private/server', value: v('x') }], LIMITS);
        const names = async (names: string[], depth: 0 | 1 | 'infinity', mailbox: string | null = box) =>
          (await store.getMetadata(USER, mailbox, names, depth)).map((e) => [e.name, e.value.toString()]);
        assert.deepEqual(await names(['/private/a', '/shared/comment', '/private/none'], 0), [['/private/a', '1'], ['/shared/comment', 's']]);
        assert.deepEqual(await names(['/private'], 1), [['/private/a', '1']]);
        assert.deepEqual(await names(['/private'], 'infinity'), [['/private/a', '1'], ['/private/a/b', '2']]);
        assert.deepEqual(await names(['/private'], 'infinity', null), [['/private/server', 'x']]);
        await store.setMetadata(USER, box, [{ name: '/private/a', value: null }], LIMITS);
        assert.deepEqual(await names(['/private/a'], 0), []);
      });
    });

    it('refuses values and entry counts over the limits, keeping nothing of the write', async () => {
      await withStore(async (store) => {
        const box = await inbox(store);
        await assert.rejects(store.setMetadata(USER, box, [{ name: '/private/big', value: Buffer.alloc(17) }], LIMITS), (e: unknown) => e instanceof MetadataLimitError && e.limit === 'size');
        const many = ['/private/1', '/private/2', '/private/3', '/private/4'].map((n) => ({ name: n, value: v('v') }));
        await assert.rejects(store.setMetadata(USER, box, many, LIMITS), (e: unknown) => e instanceof MetadataLimitError && e.limit === 'count');
        assert.deepEqual(await store.getMetadata(USER, box, ['/private'], 'infinity'), []);
      });
    });

    it('gives a shared mailbox one /shared value and each reader its own /private ones, by rights', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount(BOB);
        const shared = await store.createMailbox(USER, { path: 'Team' });
        const bob = store.actingAs({ user: BOB });
        await assert.rejects(bob.getMetadata(USER, shared.id, ['/shared/comment'], 0), { code: 'noSuchMailbox' });
        await store.setRights(USER, shared.id, BOB, 'lr');
        await store.setMetadata(USER, shared.id, [{ name: '/shared/comment', value: v('team') }, { name: '/private/mine', value: v('alice') }], LIMITS);
        await bob.setMetadata(USER, shared.id, [{ name: '/private/mine', value: v('bob') }], LIMITS);
        await assert.rejects(bob.setMetadata(USER, shared.id, [{ name: '/shared/comment', value: v('b') }], LIMITS), { code: 'noPermission' });
        await assert.rejects(bob.getMetadata(USER, null, ['/private/server'], 0), { code: 'forbidden' });
        const read = async (s: typeof store) => (await s.getMetadata(USER, shared.id, ['/shared/comment', '/private/mine'], 0)).map((e) => e.value.toString());
        assert.deepEqual(await read(bob), ['bob', 'team']);
        assert.deepEqual(await read(store), ['alice', 'team']);
        await store.setRights(USER, shared.id, BOB, 'lrw');
        await bob.setMetadata(USER, shared.id, [{ name: '/shared/comment', value: v('by bob') }], LIMITS);
        assert.deepEqual(await read(store), ['alice', 'by bob']);
        // A deleted account's /private entries go; the mailbox's others stay.
        await store.deleteAccount(BOB);
        await store.ensureAccount(BOB);
        const asBob = await store.getMetadata(USER, shared.id, ['/shared/comment', '/private/mine'], 0, BOB);
        assert.deepEqual(asBob.map((e) => e.value.toString()), ['by bob']);
      });
    });
  });

  describe(`append replaces and save dates: ${name}`, () => {
    it('removes the replaced message in the append, records when each message was saved', async () => {
      await withStore(async (store) => {
        const box = await inbox(store);
        const before = Date.now();
        const old = await store.append(USER, { mailboxIds: [box], bytes: MSG('old'), receivedAt: new Date('2001-02-03T04:05:06Z') });
        const uid = old.placements[0]!.uid;
        const [meta] = await store.getMessages(USER, box, [uid]);
        assert.ok(meta!.savedAt.getTime() >= before && meta!.savedAt.getTime() <= Date.now(), 'saved now, not at the internal date');
        assert.deepEqual((await store.searchMailbox(USER, box, { criteria: { kind: 'savedAt', notBefore: new Date(before - 86_400_000) } })).uids, [uid]);
        assert.deepEqual((await store.searchMailbox(USER, box, { criteria: { kind: 'savedAt', before: new Date('2001-02-04T00:00:00Z') } })).uids, []);
        const repl = await store.append(USER, { mailboxIds: [box], bytes: MSG('new') }, { replaces: { mailboxId: box, uid } });
        const snap = await store.snapshot(USER, box);
        assert.deepEqual(snap.messages.map((m) => m.uid), [repl.placements[0]!.uid]);
      });
    });

    it('needs "i" on the target and "t" and "e" on the replaced message\'s mailbox of another user', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const shared = await store.createMailbox(USER, { path: 'Team' });
        const old = await store.append(USER, { mailboxIds: [shared.id], bytes: MSG('old') });
        const replaces = { mailboxId: shared.id, uid: old.placements[0]!.uid };
        const bob = store.actingAs({ user: BOB });
        await store.setRights(USER, shared.id, BOB, 'lri');
        await assert.rejects(bob.append(USER, { mailboxIds: [shared.id], bytes: MSG('new') }, { replaces }), { code: 'noPermission' });
        assert.equal((await store.snapshot(USER, shared.id)).messages.length, 1);
        await store.setRights(USER, shared.id, BOB, 'lrite');
        await bob.append(USER, { mailboxIds: [shared.id], bytes: MSG('new') }, { replaces });
        assert.deepEqual((await store.snapshot(USER, shared.id)).messages.map((m) => m.uid), [replaces.uid + 1]);
      });
    });
  });
}
