// What happens when LDAP servers die, hang or restart: fail-over to the next host, a temporary
// error (never "wrong password") while none answers, and recovery once slapd is back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import { UsersRepositoryUnavailableError } from '../../src/auth/users/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { slapdSkipReason, startSlapd, type SlapdServer } from '../support/slapd.js';
import { ALICE, BOB, deadUrl, ldapConfig, startBlackhole } from './fixtures.js';

const skip = slapdSkipReason();

describe('LDAP users repository when servers fail', { skip }, () => {
  let slapd: SlapdServer;
  let blackhole: Awaited<ReturnType<typeof startBlackhole>>;

  before(async () => {
    slapd = await startSlapd({ users: [ALICE, BOB] });
    blackhole = await startBlackhole();
  });
  after(async () => {
    await blackhole?.close();
    await slapd?.close();
  });

  it('fails over to the second host when the first refuses connections', async () => {
    // Written as James allows it: both URLs in one ldapHost attribute.
    const repo = createLdapUsersRepository(ldapConfig(slapd, { ldapHost: [`${await deadUrl()}, ${slapd.url}`] }), silentLogger());
    try {
      assert.deepEqual(await repo.lookup(ALICE.uid), { username: 'alice' });
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
      assert.equal(await repo.verifyPassword(ALICE.uid, 'wrong'), false);
      assert.equal((await repo.list()).length, 2);
    } finally {
      await repo.close();
    }
  });

  it('gives up on a host that accepts but never answers after readTimeout, and uses the next', async () => {
    const repo = createLdapUsersRepository(
      ldapConfig(slapd, { ldapHost: [blackhole.url, slapd.url], readTimeout: 300 }),
      silentLogger(),
      { cacheTtlMs: 0 },
    );
    try {
      assert.equal(await repo.verifyPassword(BOB.uid, BOB.password), true);
      assert.deepEqual(await repo.lookup(BOB.uid), { username: 'bob' });
    } finally {
      await repo.close();
    }
  });

  it('answers a login against an unreachable directory with a temporary error, not a wrong password', async () => {
    const repo = createLdapUsersRepository(
      ldapConfig(slapd, { ldapHost: [await deadUrl(), blackhole.url], readTimeout: 300 }),
      silentLogger(),
    );
    try {
      await assert.rejects(repo.lookup(ALICE.uid), UsersRepositoryUnavailableError);
      await assert.rejects(repo.verifyPassword(ALICE.uid, ALICE.password), UsersRepositoryUnavailableError);
      await assert.rejects(repo.verifyPassword(ALICE.uid, 'wrong'), UsersRepositoryUnavailableError);
      await assert.rejects(repo.list(), (err: unknown) => {
        assert.ok(err instanceof UsersRepositoryUnavailableError);
        // Both hosts are named with their reason, for the operator reading the log.
        assert.match(err.message, /ECONNREFUSED/);
        assert.match(err.message, /timed out/);
        return true;
      });
    } finally {
      await repo.close();
    }
  });

  it('recovers lookups and password checks after slapd restarts', async () => {
    const repo = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { cacheTtlMs: 0 });
    try {
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
      assert.deepEqual(await repo.lookup(BOB.uid), { username: 'bob' });

      // Restarted between two logins: the pooled connections are dead, fresh ones must be opened.
      await slapd.stop();
      await slapd.start();
      assert.deepEqual(await repo.lookup(BOB.uid), { username: 'bob' });
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);

      // Down for a while: logins fail as temporary; then back up, logins work again.
      await slapd.stop();
      await assert.rejects(repo.lookup(ALICE.uid), UsersRepositoryUnavailableError);
      await assert.rejects(repo.verifyPassword(ALICE.uid, ALICE.password), UsersRepositoryUnavailableError);
      await slapd.start();
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
      assert.equal(await repo.verifyPassword(ALICE.uid, 'wrong'), false);
      assert.deepEqual(await repo.lookup(BOB.uid), { username: 'bob' });
    } finally {
      if (!slapd.running) await slapd.start();
      await repo.close();
    }
  });

  it('answers lookups from its cache for the TTL, then asks the directory again', async () => {
    let now = 1_000_000;
    const repo = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { cacheTtlMs: 10_000, now: () => now });
    const dn = await slapd.addUser({ uid: 'ephemeral', password: 'eph-pw' });
    try {
      assert.deepEqual(await repo.lookup('ephemeral'), { username: 'ephemeral' });
      assert.equal(await repo.lookup('ghost'), undefined);
      await slapd.deleteEntry(dn);
      await slapd.addUser({ uid: 'ghost', password: 'ghost-pw' });

      now += 9_999;
      assert.deepEqual(await repo.lookup('ephemeral'), { username: 'ephemeral' }, 'still cached');
      assert.equal(await repo.lookup('ghost'), undefined, 'absence is cached too');
      // Passwords are never cached: the bind goes to the server and fails for the deleted entry.
      assert.equal(await repo.verifyPassword('ephemeral', 'eph-pw'), false);

      await slapd.stop();
      assert.deepEqual(await repo.lookup('ephemeral'), { username: 'ephemeral' }, 'served while LDAP is down');
      now += 1;
      await assert.rejects(repo.lookup('ephemeral'), UsersRepositoryUnavailableError, 'expired: the directory is asked');
      await slapd.start();
      assert.equal(await repo.lookup('ephemeral'), undefined);
      assert.deepEqual(await repo.lookup('ghost'), { username: 'ghost' });
    } finally {
      if (!slapd.running) await slapd.start();
      await repo.close();
    }
  });
});
