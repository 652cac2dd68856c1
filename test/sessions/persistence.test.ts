import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair } from 'jose';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import { SqliteRevocationStore } from '../../src/sessions/revocation-store.js';
import { FakeSession, register, tempDir, tokenPrincipal, within } from './helpers.js';

const ISSUER = 'https://idp.example.test';

/** A JWT whose only role here is to carry `iat` (validation happened at login). */
async function tokenIssuedAt(iatSeconds: number): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ iat: iatSeconds }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
}

describe('revocations survive a restart', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  const open = (now?: () => number): { bus: MemoryEventBus; control: SessionControl } => {
    const bus = new MemoryEventBus();
    return { bus, control: createSessionControl({ dataDir: dir.dir, bus, logger: silentLogger(), oidc: [], adminSocket: false, now }) };
  };

  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.dispose());

  it('a new instance over the same data directory refuses a revoked sid and jti', async () => {
    const first = open();
    await first.control.start();
    const live = register(first.control, new FakeSession(tokenPrincipal({ user: 'a@example.test', sid: 'sid-1', issuer: ISSUER })));
    await first.control.revoke({ sid: 'sid-1', issuer: ISSUER, reason: 'logout', expiresAt: new Date(Date.now() + 3600_000) });
    await first.control.revoke({ jti: 'jti-1', issuer: ISSUER, reason: 'inactive', expiresAt: new Date(Date.now() + 3600_000) });
    await within(1000, live.ended, 'live session');
    await first.control.stop();
    await first.bus.close();

    const second = open();
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
    const { bus, control } = open();
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
    const { bus, control } = open();
    try {
      await control.revoke({ sid: 'admin-sid', reason: 'admin' });
      assert.equal(await control.isRevoked(tokenPrincipal({ user: 'x', sid: 'admin-sid', issuer: ISSUER })), true);
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it('a sub or user revocation refuses tokens issued before it and accepts tokens issued after', async () => {
    const { bus, control } = open();
    try {
      const nowSec = Math.floor(Date.now() / 1000);
      const before = await tokenIssuedAt(nowSec - 120);
      const afterward = await tokenIssuedAt(nowSec + 5);
      await control.revoke({ sub: 'sub-9', issuer: ISSUER, reason: 'logout' });
      const p = (accessToken: string) => tokenPrincipal({ user: 'b@example.test', subject: 'sub-9', issuer: ISSUER, accessToken });
      assert.equal(await control.isRevoked(p(before)), true);
      assert.equal(await control.isRevoked(p(afterward)), false, 'logging in again after a logout works');
      assert.equal(await control.isRevoked(p('opaque-token-without-iat')), true, 'unknown iat is refused');

      await control.revoke({ user: 'C@example.test', reason: 'admin' });
      const q = (accessToken?: string) => tokenPrincipal({ user: 'c@example.test', accessToken });
      assert.equal(await control.isRevoked(q(before)), true);
      assert.equal(await control.isRevoked(q(afterward)), false);
      assert.equal(await control.isRevoked({ user: 'c@example.test', mechanism: 'PLAIN' }), false, 'a new password login is a new session');
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it('forgets revocations once the tokens have expired, and logout jtis after their window', async () => {
    let now = Date.now();
    const store = new SqliteRevocationStore(dir.dir, () => now);
    try {
      const at = new Date(now);
      await store.add({ kind: 'jti', value: 'short', issuer: ISSUER, revokedAt: at, expiresAt: new Date(now + 60_000) });
      assert.equal(await store.rememberLogoutJti(ISSUER, 'lj', new Date(now + 60_000)), true);
      assert.equal(await store.rememberLogoutJti(ISSUER, 'lj', new Date(now + 60_000)), false);
      assert.ok(await store.revokedAt('jti', 'short', [ISSUER]));
      now += 61_000;
      assert.equal(await store.revokedAt('jti', 'short', [ISSUER]), undefined, 'expired entries no longer count');
      assert.ok((await store.purgeExpired()) >= 2);
      assert.equal(await store.rememberLogoutJti(ISSUER, 'lj', new Date(now + 60_000)), true);
    } finally {
      await store.close();
    }
  });
});
