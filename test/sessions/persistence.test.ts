import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import type { MailStore } from '../../src/store/types.js';
import { FakeSession, openStore, register, tempDir, tokenPrincipal, within } from './helpers.js';

const ISSUER = 'https://idp.example.test';

describe('revocations survive a restart', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  /** Session control over the mail store of `dir`, as `tessera serve` runs it; stop() closes all. */
  const open = async (now?: () => number): Promise<{ bus: MemoryEventBus; control: SessionControl; store: MailStore }> => {
    const bus = new MemoryEventBus();
    const store = await openStore(dir.dir);
    const control = createSessionControl({ dataDir: dir.dir, store, bus, logger: silentLogger(), oidc: [], adminSocket: false, now });
    const stop = control.stop.bind(control);
    return { bus, store, control: Object.assign(control, { stop: async () => (await stop(), await store.close()) }) };
  };

  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.dispose());

  it('a new instance over the same data directory refuses a revoked sid and jti', async () => {
    const first = await open();
    await first.control.start();
    const live = register(first.control, new FakeSession(tokenPrincipal({ user: 'a@example.test', sid: 'sid-1', issuer: ISSUER })));
    await first.control.revoke({ sid: 'sid-1', issuer: ISSUER, reason: 'logout', expiresAt: new Date(Date.now() + 3600_000) });
    await first.control.revoke({ jti: 'jti-1', issuer: ISSUER, reason: 'inactive', expiresAt: new Date(Date.now() + 3600_000) });
    await within(1000, live.ended, 'live session');
    await first.control.stop();
    await first.bus.close();

    const second = await open();
    await second.control.start();
    try {
      assert.equal(await second.control.isRevoked(tokenPrincipal({ user: 'a@example.test', sid: 'sid-1', issuer: ISSUER })), true);
      assert.equal(await second.control.isRevoked(tokenPrincipal({ user: 'a@example.test', jti: 'jti-1', issuer: ISSUER })), true);
      assert.equal(await second.control.isRevoked(tokenPrincipal({ user: 'a@example.test', sid: 'sid-2', jti: 'jti-2', issuer: ISSUER })), false);
      // The same sid at another provider is another session.
      assert.equal(await second.control.isRevoked(tokenPrincipal({ user: 'a@example.test', sid: 'sid-1', issuer: 'https://other.test' })), false);
    } finally {
      await second.control.stop();
      await second.bus.close();
    }
  });

  it('admit() refuses a revoked principal and keeps nothing registered; admits others', async () => {
    const { bus, control } = await open();
    try {
      await control.revoke({ jti: 'gone', issuer: ISSUER, reason: 'revoked' });
      const refused = new FakeSession(tokenPrincipal({ user: 'z@example.test', jti: 'gone', issuer: ISSUER }));
      assert.equal(await control.admit(refused.registration()), undefined);
      assert.equal(control.registry.size, 0);
      const admitted = new FakeSession(tokenPrincipal({ user: 'z@example.test', jti: 'fine', issuer: ISSUER }));
      const handle = await control.admit(admitted.registration());
      assert.ok(handle);
      assert.equal(control.registry.size, 1);
      handle.unregister();
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it('a sid revoked without issuer (admin) is refused whatever the issuer', async () => {
    const { bus, control } = await open();
    try {
      await control.revoke({ sid: 'admin-sid', reason: 'admin' });
      assert.equal(await control.isRevoked(tokenPrincipal({ user: 'x', sid: 'admin-sid', issuer: ISSUER })), true);
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it('a sub or user revocation refuses tokens issued before it and accepts tokens issued after', async () => {
    const { bus, control } = await open();
    try {
      // The validator puts the token's iat on the principal (see test/auth and issued-at.test.ts).
      const nowSec = Math.floor(Date.now() / 1000);
      const before = { accessToken: 'token-before', issuedAt: new Date((nowSec - 120) * 1000) };
      const afterward = { accessToken: 'token-after', issuedAt: new Date((nowSec + 5) * 1000) };
      await control.revoke({ sub: 'sub-9', issuer: ISSUER, reason: 'logout' });
      const p = (token: { accessToken: string; issuedAt?: Date }) => tokenPrincipal({ user: 'b@example.test', subject: 'sub-9', issuer: ISSUER, ...token });
      assert.equal(await control.isRevoked(p(before)), true);
      assert.equal(await control.isRevoked(p(afterward)), false, 'logging in again after a logout works');
      assert.equal(await control.isRevoked(p({ accessToken: 'token-without-iat' })), true, 'unknown iat is refused');

      await control.revoke({ user: 'C@example.test', reason: 'admin' });
      const q = (token: { accessToken: string; issuedAt?: Date }) => tokenPrincipal({ user: 'c@example.test', ...token });
      assert.equal(await control.isRevoked(q(before)), true);
      assert.equal(await control.isRevoked(q(afterward)), false);
      assert.equal(await control.isRevoked({ user: 'c@example.test', mechanism: 'PLAIN' }), false, 'a new password login is a new session');
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it('forgets revocations once the tokens have expired', async () => {
    let now = Date.now();
    const { bus, control, store } = await open(() => now);
    try {
      const principal = tokenPrincipal({ user: 'e@example.test', jti: 'short', issuer: ISSUER });
      await control.revoke({ jti: 'short', issuer: ISSUER, reason: 'inactive', expiresAt: new Date(now + 60_000) });
      assert.equal(await control.isRevoked(principal), true);
      // Kept past the token's exp by the validators' clock leeway (5 minutes), then forgotten.
      now += 60_000 + 5 * 60_000 + 1000;
      assert.equal(await control.isRevoked(principal), false, 'expired entries no longer count');
      assert.ok((await control.revocations.purgeExpired()) >= 1);
      assert.equal(await store.revokedAt('jti', 'short', [ISSUER], new Date(now - 120_000)), undefined, 'purged from the store');
    } finally {
      await control.stop();
      await bus.close();
    }
  });
});
