// RevocationStore contract: revocations and logout-token jtis are remembered until they expire.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeHarness, type StoreFactory } from './harness.js';

export function runRevocationsContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`RevocationStore contract: ${name}`, () => {
    it('remembers revocations until they expire, per issuer, the latest revocation time winning', async () => {
      await withStore(async (store) => {
        const now = Date.now();
        const at = (ms: number): Date => new Date(now + ms);
        await store.addRevocation({ kind: 'sid', value: 'S1', issuer: 'https://idp', revokedAt: at(0), expiresAt: at(60_000) });
        await store.addRevocation({ kind: 'jti', value: 'J1', issuer: 'https://idp', revokedAt: at(0), expiresAt: at(-1) });
        assert.deepEqual(await store.revokedAt('sid', 'S1', ['https://idp', ''], at(0)), at(0));
        assert.equal(await store.revokedAt('sid', 'S1', ['https://other', ''], at(0)), undefined, 'another provider’s sid');
        assert.equal(await store.revokedAt('sid', 'S1', [], at(0)), undefined);
        assert.equal(await store.revokedAt('jti', 'J1', ['https://idp'], at(0)), undefined, 'expired entries no longer count');
        assert.equal(await store.revokedAt('sid', 'S1', ['https://idp'], at(60_000)), undefined);

        // Revoking again keeps the later revocation time and the later expiry.
        await store.addRevocation({ kind: 'user', value: 'u@x', issuer: '', revokedAt: at(5000), expiresAt: at(10_000) });
        await store.addRevocation({ kind: 'user', value: 'u@x', issuer: '', revokedAt: at(1000), expiresAt: at(90_000) });
        assert.deepEqual(await store.revokedAt('user', 'u@x', [''], at(30_000)), at(5000));
        // Across issuers the latest revocation counts.
        await store.addRevocation({ kind: 'sub', value: 's', issuer: 'https://idp', revokedAt: at(2000), expiresAt: at(60_000) });
        await store.addRevocation({ kind: 'sub', value: 's', issuer: '', revokedAt: at(3000), expiresAt: at(60_000) });
        assert.deepEqual(await store.revokedAt('sub', 's', ['https://idp', ''], at(0)), at(3000));

        assert.equal(await store.purgeExpiredRevocations(at(0)), 1, 'only the expired jti goes');
        assert.equal(await store.purgeExpiredRevocations(at(60_000)), 3);
        assert.deepEqual(await store.revokedAt('user', 'u@x', [''], at(60_000)), at(5000));
      });
    });

    it('answers several lookups at once, each as revokedAt would', async () => {
      await withStore(async (store) => {
        const now = Date.now();
        const at = (ms: number): Date => new Date(now + ms);
        await store.addRevocation({ kind: 'sid', value: 'S1', issuer: 'https://idp', revokedAt: at(1000), expiresAt: at(60_000) });
        await store.addRevocation({ kind: 'user', value: 'u@x', issuer: '', revokedAt: at(2000), expiresAt: at(60_000) });
        await store.addRevocation({ kind: 'jti', value: 'J1', issuer: 'https://idp', revokedAt: at(3000), expiresAt: at(-1) });
        // Same value under two kinds: each lookup gets only its own kind's answer.
        await store.addRevocation({ kind: 'sub', value: 'u@x', issuer: 'https://idp', revokedAt: at(4000), expiresAt: at(60_000) });
        const lookups = [
          { kind: 'sid', value: 'S1', issuers: ['https://other', ''] },
          { kind: 'jti', value: 'J1', issuers: ['https://idp'] },
          { kind: 'user', value: 'u@x', issuers: [''] },
          { kind: 'sid', value: 'S1', issuers: [] },
          { kind: 'sid', value: 'S1', issuers: ['https://idp', ''] },
          { kind: 'sub', value: 'u@x', issuers: ['https://idp'] },
        ] as const;
        assert.deepEqual(await store.revokedAtEach(lookups, at(0)), [undefined, undefined, at(2000), undefined, at(1000), at(4000)]);
        assert.deepEqual(await store.revokedAtEach([], at(0)), []);
      });
    });

    it('remembers logout token jtis: a replay is refused until the jti expires', async () => {
      await withStore(async (store) => {
        const now = Date.now();
        const at = (ms: number): Date => new Date(now + ms);
        assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(60_000), at(0)), true);
        assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(60_000), at(1000)), false, 'replay');
        assert.equal(await store.rememberLogoutJti('https://other', 'lj', at(60_000), at(1000)), true, 'another provider’s jti');
        assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(120_000), at(61_000)), true, 'an expired jti is not a replay');
        assert.equal(await store.purgeExpiredRevocations(at(61_000)), 1);
        assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(120_000), at(62_000)), false);
      });
    });
  });
}
