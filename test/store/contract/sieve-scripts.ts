// SieveScriptStore contract: scripts by name and id, one active at most, content as a readable blob,
// limits, state and /changes. Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CannotCalculateChangesError,
  NoSuchSieveScriptError,
  OverQuotaError,
  SieveScriptActiveError,
  SieveScriptExistsError,
  StateMismatchError,
  InvalidArgumentError,
} from '../../../src/store/types.js';
import { waitFor } from '../../support/wait.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

const SCRIPT_A = 'require "fileinto";\r\nif header :contains "subject" "x" { fileinto "X"; }\r\n';
const SCRIPT_B = 'keep;\r\n';

export function runSieveScriptsContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`SieveScriptStore contract: ${name}`, () => {
    it('stores, lists, reads by name and id, replaces content and keeps the id', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        assert.deepEqual(await store.listSieveScripts(USER), []);
        assert.equal(await store.getSieveScript(USER, 'a'), null);
        assert.equal(await store.getActiveSieveScript(USER), null);
        const b = await store.putSieveScript(USER, 'b', SCRIPT_B);
        const a = await store.putSieveScript(USER, 'a', SCRIPT_A);
        assert.notEqual(a.id, b.id);
        assert.deepEqual((await store.listSieveScripts(USER)).map((s) => [s.name, s.size, s.isActive]), [
          ['a', Buffer.byteLength(SCRIPT_A), false],
          ['b', SCRIPT_B.length, false],
        ]);
        const got = await store.getSieveScript(USER, 'a');
        assert.equal(got?.content, SCRIPT_A);
        assert.equal(got?.id, a.id);
        assert.deepEqual(await store.getSieveScriptById(USER, a.id), got);
        assert.equal(await store.getSieveScriptById(USER, 'nonsense'), null);
        const replaced = await store.putSieveScript(USER, 'a', 'discard;');
        assert.equal(replaced.id, a.id);
        assert.notEqual(replaced.blobId, a.blobId);
        assert.equal((await store.getSieveScript(USER, 'a'))?.content, 'discard;');
        // Names are compared octet by octet (RFC 5804 §1.6).
        assert.equal(await store.getSieveScript(USER, 'A'), null);
      });
    });

    it('serves the content as a blob of the account, and not of another', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount('bob@example.org');
        const text = 'keep; # é\r\n';
        const s = await store.putSieveScript(USER, 'utf8', text);
        assert.equal((await store.readBlob(USER, s.blobId))?.toString('utf8'), text);
        assert.equal(await store.blobSize(USER, s.blobId), Buffer.byteLength(text));
        assert.equal(await store.readBlob('bob@example.org', s.blobId), null);
        // Still referenced: garbage collection keeps it.
        await store.collectGarbage(new Date(Date.now() + 48 * 3600_000));
        assert.equal((await store.getSieveScript(USER, 'utf8'))?.content, text);
      });
    });

    it('keeps at most one script active and refuses to delete the active one', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.putSieveScript(USER, 'a', SCRIPT_A);
        await store.putSieveScript(USER, 'b', SCRIPT_B);
        await store.setActiveSieveScript(USER, 'a');
        assert.equal((await store.getActiveSieveScript(USER))?.name, 'a');
        await store.setActiveSieveScript(USER, 'b');
        const active = await store.getActiveSieveScript(USER);
        assert.deepEqual([active?.name, active?.content], ['b', SCRIPT_B]);
        assert.deepEqual((await store.listSieveScripts(USER)).filter((s) => s.isActive).map((s) => s.name), ['b']);
        await assert.rejects(store.deleteSieveScript(USER, 'b'), SieveScriptActiveError);
        await assert.rejects(store.setActiveSieveScript(USER, 'missing'), NoSuchSieveScriptError);
        assert.equal((await store.getActiveSieveScript(USER))?.name, 'b');
        // Replacing the active script's content keeps it active.
        await store.putSieveScript(USER, 'b', 'stop;');
        assert.equal((await store.getActiveSieveScript(USER))?.content, 'stop;');
        await store.deleteSieveScript(USER, 'a');
        await store.setActiveSieveScript(USER, null);
        assert.equal(await store.getActiveSieveScript(USER), null);
        await store.deleteSieveScript(USER, 'b');
        assert.deepEqual(await store.listSieveScripts(USER), []);
        await assert.rejects(store.deleteSieveScript(USER, 'b'), NoSuchSieveScriptError);
      });
    });

    it('renames, keeping id and activity, and refuses a taken or invalid name', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const a = await store.putSieveScript(USER, 'a', SCRIPT_A);
        await store.putSieveScript(USER, 'b', SCRIPT_B);
        await store.setActiveSieveScript(USER, 'a');
        await assert.rejects(store.renameSieveScript(USER, 'a', 'b'), SieveScriptExistsError);
        await assert.rejects(store.renameSieveScript(USER, 'zz', 'c'), NoSuchSieveScriptError);
        await assert.rejects(store.renameSieveScript(USER, 'a', 'bad\nname'), InvalidArgumentError);
        await assert.rejects(store.putSieveScript(USER, '', 'keep;'), InvalidArgumentError);
        const renamed = await store.renameSieveScript(USER, 'a', 'c');
        assert.deepEqual([renamed.id, renamed.name, renamed.isActive], [a.id, 'c', true]);
        assert.equal((await store.getActiveSieveScript(USER))?.name, 'c');
        assert.equal(await store.getSieveScript(USER, 'a'), null);
      });
    });

    it('enforces script count and size limits inside the write', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const limits = { maxScripts: 2, maxSize: 16 };
        await store.putSieveScript(USER, 'a', 'keep;', { limits });
        await store.putSieveScript(USER, 'b', 'keep;', { limits });
        await assert.rejects(store.putSieveScript(USER, 'c', 'keep;', { limits }), (e: unknown) => e instanceof OverQuotaError && e.resource === 'sieveScripts');
        // Replacing an existing script does not count as one more.
        await store.putSieveScript(USER, 'a', 'stop;', { limits });
        await assert.rejects(store.putSieveScript(USER, 'a', 'x'.repeat(17), { limits }), (e: unknown) => e instanceof OverQuotaError && e.resource === 'sieveScriptSize');
        assert.equal((await store.getSieveScript(USER, 'a'))?.content, 'stop;');
        assert.equal((await store.listSieveScripts(USER)).length, 2);
      });
    });

    it('moves the state with each write, honours ifInState and answers /changes', async () => {
      await withStore(async (store, bus) => {
        await store.ensureAccount(USER);
        const s0 = await store.sieveScriptState(USER);
        const seen: Record<string, string>[] = [];
        const off = bus.onAccount(USER, (e) => {
          if (e.type === 'state-changed' && 'SieveScript' in e.changed) seen.push(e.changed);
        });
        const a = await store.putSieveScript(USER, 'a', SCRIPT_A, { origin: 'test' });
        const s1 = await store.sieveScriptState(USER);
        assert.notEqual(s1, s0);
        await waitFor('the SieveScript state change', () => seen.length > 0, 10_000);
        off();
        assert.deepEqual(seen, [{ SieveScript: s1 }]);
        await assert.rejects(store.putSieveScript(USER, 'b', SCRIPT_B, { ifInState: s0 }), StateMismatchError);
        const b = await store.putSieveScript(USER, 'b', SCRIPT_B, { ifInState: s1 });
        const s2 = await store.sieveScriptState(USER);

        const c1 = await store.sieveScriptChanges(USER, s0);
        assert.deepEqual([c1.created.sort(), c1.updated, c1.destroyed, c1.newState, c1.hasMoreChanges], [[a.id, b.id].sort(), [], [], s2, false]);
        const c2 = await store.sieveScriptChanges(USER, s1, 1);
        assert.deepEqual([c2.created, c2.updated, c2.destroyed, c2.newState], [[b.id], [], [], s2]);

        await store.setActiveSieveScript(USER, 'a');
        const s3 = await store.sieveScriptState(USER);
        // Activating the already active script changes nothing.
        await store.setActiveSieveScript(USER, 'a');
        assert.equal(await store.sieveScriptState(USER), s3);
        await store.setActiveSieveScript(USER, 'b');
        await store.deleteSieveScript(USER, 'a');
        const c3 = await store.sieveScriptChanges(USER, s2);
        assert.deepEqual([c3.created, c3.updated, c3.destroyed], [[], [b.id], [a.id]]);
        // Paged: one change per answer, resumable from newState.
        const p1 = await store.sieveScriptChanges(USER, s2, 1);
        assert.equal(p1.hasMoreChanges, true);
        const p2 = await store.sieveScriptChanges(USER, p1.newState, 5);
        assert.deepEqual([...p1.updated, ...p1.destroyed, ...p2.updated, ...p2.destroyed].sort(), [a.id, b.id].sort());
        await assert.rejects(store.sieveScriptChanges(USER, '999999'), CannotCalculateChangesError);
        await assert.rejects(store.sieveScriptChanges(USER, 'garbage'), CannotCalculateChangesError);
      });
    });

    it('deletes the scripts with the account', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.putSieveScript(USER, 'a', SCRIPT_A);
        await store.setActiveSieveScript(USER, 'a');
        await store.deleteAccount(USER);
        assert.deepEqual(await store.listSieveScripts(USER), []);
        assert.equal(await store.getActiveSieveScript(USER), null);
        await store.ensureAccount(USER);
        assert.deepEqual(await store.listSieveScripts(USER), []);
        assert.equal(await store.getActiveSieveScript(USER), null);
      });
    });
  });
}
