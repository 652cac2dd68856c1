// SettingsStore contract: per-account settings, each with a state.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMismatchError } from '../../../src/store/types.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runSettingsContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`SettingsStore contract: ${name}`, () => {
    it('stores settings with states', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        assert.deepEqual(await store.getSetting(USER, 'vacation'), { value: null, state: '0' });
        const s1 = await store.setSetting(USER, 'vacation', { isEnabled: true });
        assert.deepEqual((await store.getSetting(USER, 'vacation')).value, { isEnabled: true });
        await assert.rejects(store.setSetting(USER, 'vacation', null, { ifInState: '0' }), StateMismatchError);
        await store.setSetting(USER, 'vacation', null, { ifInState: s1 });
      });
    });

    it('computes a function value from the new state inside the write (objects stamp the state they changed at)', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const seen: string[] = [];
        const state = await store.setSetting(USER, 'log', (s) => {
          seen.push(s);
          return { changedAt: s };
        });
        assert.deepEqual(seen, [state]);
        assert.deepEqual(await store.getSetting(USER, 'log'), { value: { changedAt: state }, state });
        await assert.rejects(store.setSetting(USER, 'log', () => ({ never: true }), { ifInState: '0' }), StateMismatchError);
        assert.deepEqual((await store.getSetting(USER, 'log')).value, { changedAt: state });
      });
    });
  });
}
