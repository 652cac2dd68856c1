// RevocationStore contract: revoked tokens are remembered until they expire.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeHarness, type StoreFactory } from './harness.js';

export function runRevocationsContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`RevocationStore contract: ${name}`, () => {
    it('remembers revoked tokens until they expire', async () => {
      await withStore(async (store) => {
        await store.revoke('sid', 'S1', 'https://idp', new Date(Date.now() + 60_000));
        await store.revoke('jti', 'J1', 'https://idp', new Date(Date.now() - 1));
        assert.equal(await store.isRevoked('sid', 'S1', 'https://idp'), true);
        assert.equal(await store.isRevoked('sid', 'S1', 'https://other'), false);
        assert.equal(await store.isRevoked('jti', 'J1', 'https://idp'), false);
        assert.equal(await store.purgeExpiredRevocations(), 1);
      });
    });
  });
}
