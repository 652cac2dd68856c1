import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { VerifiedPasswords } from '../../src/auth/users/verified-passwords.js';
import { silentLogger } from '../../src/log/logger.js';
import { mulberry32 } from '../support/prng.js';

describe('remembered password verifications', () => {
  it('remember only the exact user, stored hash and password, until the TTL passes', () => {
    let now = 1_000;
    const cache = new VerifiedPasswords({ ttlMs: 60_000, maxEntries: 10 }, () => now);
    cache.remember('alice@example.org', '$hash-1', 'pw');
    assert.equal(cache.has('alice@example.org', '$hash-1', 'pw'), true);
    assert.equal(cache.has('alice@example.org', '$hash-1', 'pw '), false, 'another password');
    assert.equal(cache.has('alice@example.org', '$hash-2', 'pw'), false, 'the stored hash changed');
    assert.equal(cache.has('bob@example.org', '$hash-1', 'pw'), false, 'another user');
    now += 60_001;
    assert.equal(cache.has('alice@example.org', '$hash-1', 'pw'), false, 'expired');
  });

  it('remembered together, expire spread over the last fifth of the TTL, not all at once', () => {
    let now = 1_000;
    const cache = new VerifiedPasswords({ ttlMs: 100_000, maxEntries: 1000 }, () => now, mulberry32(7));
    const users = Array.from({ length: 200 }, (_, i) => `u${i}@example.org`);
    for (const u of users) cache.remember(u, '$hash', 'pw');
    const valid = (): number => users.filter((u) => cache.has(u, '$hash', 'pw')).length;
    now += 79_999;
    assert.equal(valid(), 200, 'none expires before 80 % of the TTL');
    now += 10_000;
    const atNinety = valid();
    assert.ok(atNinety > 50 && atNinety < 150, `about half are still trusted at 90 % of the TTL (${atNinety})`);
    now += 10_002;
    assert.equal(valid(), 0, 'none outlives the TTL');
  });

  it('stay within their bound, evicting the oldest', () => {
    const cache = new VerifiedPasswords({ ttlMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) cache.remember(`u${i}`, 'h', 'p');
    assert.equal(cache.size, 3);
    assert.equal(cache.has('u0', 'h', 'p'), false);
    assert.equal(cache.has('u9', 'h', 'p'), true);
  });

  it('share a check already running for the same user, stored hash and password, and only that', async () => {
    const cache = new VerifiedPasswords({ ttlMs: 60_000, maxEntries: 10 });
    let derivations = 0;
    let finish: (ok: boolean) => void = () => undefined;
    const derive = (): Promise<boolean> => {
      derivations++;
      return new Promise((resolve) => (finish = resolve));
    };
    const five = Array.from({ length: 5 }, () => cache.shared('alice@example.org', '$hash-1', 'pw', derive));
    const other = cache.shared('alice@example.org', '$hash-1', 'other pw', () => Promise.resolve(false));
    assert.equal(derivations, 1, 'five concurrent logins, one derivation');
    finish(true);
    assert.deepEqual(await Promise.all(five), [true, true, true, true, true]);
    assert.equal(await other, false, 'another password has its own check');
    // Once settled, a check is not reused: the next login asks again (or hits the remembered success).
    const again = cache.shared('alice@example.org', '$hash-1', 'pw', derive);
    assert.equal(derivations, 2);
    finish(true);
    assert.equal(await again, true);
  });

  it('never outlive a password change or a removal made by another process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-verified-'));
    const cfg = { kind: 'embedded' as const, enableVirtualHosting: true, algorithm: 'scrypt' };
    const domains = { domainnames: ['example.org'], defaultDomain: 'example.org' };
    const server = await createEmbeddedUsersRepository(dir, cfg, domains, silentLogger());
    const cli = await createEmbeddedUsersRepository(dir, cfg, domains, silentLogger());
    try {
      await server.users.add('alice@example.org', 'first password');
      assert.equal(await server.users.verifyPassword('alice@example.org', 'first password'), true);
      assert.equal(await server.users.verifyPassword('alice@example.org', 'first password'), true, 'a remembered success');
      assert.equal(await server.users.verifyPassword('alice@example.org', 'wrong password'), false);

      await cli.users.setPassword('alice@example.org', 'second password');
      assert.equal(await server.users.verifyPassword('alice@example.org', 'first password'), false, 'old password refused at once');
      assert.equal(await server.users.verifyPassword('alice@example.org', 'second password'), true);

      await cli.users.remove('alice@example.org');
      assert.equal(await server.users.verifyPassword('alice@example.org', 'second password'), false, 'removed user refused at once');

    } finally {
      await cli.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
