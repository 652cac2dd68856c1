// The LDAP users repository against a real slapd: what it finds, whom it lets in, what it refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'ldapts';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import { LdapConfigError } from '../../src/auth/ldap/errors.js';
import { ReadOnlyRepositoryError, UsersRepositoryUnavailableError, type UsersRepository } from '../../src/auth/users/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { slapdSkipReason, startSlapd, type SlapdServer } from '../support/slapd.js';
import { HOSTILE_NAMES, ACTIVE_USERS, ALICE, ALL_USERS, BOB, CAROL, DAVE, JANE, OLGA, WEIRD, ZOE, ldapConfig } from './fixtures.js';

const skip = slapdSkipReason();

describe('LDAP users repository', { skip }, () => {
  let slapd: SlapdServer;
  let repo: UsersRepository;
  let vhost: UsersRepository;

  before(async () => {
    slapd = await startSlapd({ users: ALL_USERS, allowUnauthenticatedBind: true });
    repo = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { cacheTtlMs: 0 });
    vhost = createLdapUsersRepository(
      ldapConfig(slapd, { userIdAttribute: 'mail', enableVirtualHosting: true }),
      silentLogger(),
      { cacheTtlMs: 0 },
    );
  });
  after(async () => {
    await repo?.close();
    await vhost?.close();
    await slapd?.close();
  });

  it('is read-only and reports its virtual-hosting setting', () => {
    assert.equal(repo.readOnly, true);
    assert.equal(repo.virtualHosting, false);
    assert.equal(vhost.virtualHosting, true);
  });

  it('finds users by their id attribute and returns the lowercase canonical name', async () => {
    assert.deepEqual(await repo.lookup('alice'), { username: 'alice' });
    assert.deepEqual(await repo.lookup('carol.mixed'), { username: 'carol.mixed' });
    assert.deepEqual(await repo.lookup('ZOË'), { username: 'zoë' });
    assert.deepEqual(await vhost.lookup('bob@tessera.test'), { username: 'bob@tessera.test' });
    assert.deepEqual(await vhost.lookup('ALICE@TESSERA.TEST'), { username: 'alice@tessera.test' });
    // The id attribute decides: without virtual hosting an address is not a uid.
    assert.equal(await repo.lookup('alice@tessera.test'), undefined);
    assert.equal(await vhost.lookup('alice'), undefined);
  });

  it('checks passwords by binding as the entry, whatever its DN looks like', async () => {
    for (const u of ACTIVE_USERS) {
      assert.equal(await repo.verifyPassword(u.uid, u.password), true, u.uid);
      assert.equal(await repo.verifyPassword(u.uid, `${u.password}!`), false, u.uid);
    }
    assert.equal(await repo.verifyPassword(JANE.uid, JANE.password), true);
    assert.equal(await vhost.verifyPassword(BOB.mail, BOB.password), true);
    assert.equal(await vhost.verifyPassword(BOB.mail, ALICE.password), false);
  });

  it('refuses an empty password although this directory would accept it as an unauthenticated bind', async () => {
    const raw = new Client({ url: slapd.url });
    try {
      await raw.bind(`uid=alice,${slapd.peopleDn}`, '');
    } finally {
      await raw.unbind();
    }
    assert.equal(await repo.verifyPassword(ALICE.uid, ''), false);
    assert.equal(await repo.verifyPassword('', ''), false);
  });

  it('keeps out users the configured filter excludes and users outside userBase', async () => {
    assert.equal(await repo.lookup(DAVE.uid), undefined);
    assert.equal(await repo.verifyPassword(DAVE.uid, DAVE.password), false);
    assert.equal(await repo.lookup(OLGA.uid), undefined);
    assert.equal(await repo.verifyPassword(OLGA.uid, OLGA.password), false);
    const unfiltered = createLdapUsersRepository(ldapConfig(slapd, { filter: undefined }), silentLogger());
    try {
      assert.deepEqual(await unfiltered.lookup(DAVE.uid), { username: 'dave' });
    } finally {
      await unfiltered.close();
    }
  });

  it('lists exactly the users the repository serves, sorted, for the CLI', async () => {
    const names = (await repo.list()).map((u) => u.username);
    assert.deepEqual(names, ['alice', 'bob', 'carol.mixed', 'jane', 'weird*(user)\\', 'zoë']);
    const addresses = (await vhost.list()).map((u) => u.username);
    assert.deepEqual(addresses, ['alice@tessera.test', 'bob@tessera.test', 'carol.mixed@tessera.test', 'jane@example.org', 'weird@example.org', 'zoe@example.org']);
  });

  it('treats filter metacharacters in a name as literal characters', async () => {
    assert.deepEqual(await repo.lookup(WEIRD.uid), { username: WEIRD.uid });
    assert.equal(await repo.verifyPassword(WEIRD.uid, WEIRD.password), true);
    assert.equal(await repo.lookup('weird*'), undefined);
    assert.equal(await repo.lookup('weird*(user)'), undefined);
  });

  it('matches nothing for injection attempts used as user names', async () => {
    for (const name of HOSTILE_NAMES) {
      assert.equal(await repo.lookup(name), undefined, JSON.stringify(name));
      assert.equal(await vhost.lookup(name), undefined, JSON.stringify(name));
      for (const password of [ALICE.password, DAVE.password, '*']) {
        assert.equal(await repo.verifyPassword(name, password), false, JSON.stringify(name));
      }
    }
  });

  it('refuses every write with a message that says users are managed in LDAP', async () => {
    for (const write of [() => repo.add('newbie', 'pw'), () => repo.remove(ALICE.uid), () => repo.setPassword(ALICE.uid, 'pw')]) {
      await assert.rejects(write(), (err: unknown) => {
        assert.ok(err instanceof ReadOnlyRepositoryError);
        assert.match(err.message, /LDAP/);
        assert.match(err.message, /ldapadd|ldapmodify/);
        assert.ok(err.message.includes(slapd.peopleDn));
        return true;
      });
    }
    assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
  });

  it('sees users added to and removed from the directory (cache off)', async () => {
    const dn = await slapd.addUser({ uid: 'newcomer', password: 'fresh-pw' });
    assert.deepEqual(await repo.lookup('newcomer'), { username: 'newcomer' });
    assert.equal(await repo.verifyPassword('newcomer', 'fresh-pw'), true);
    await slapd.setPassword(dn, 'changed-pw');
    assert.equal(await repo.verifyPassword('newcomer', 'fresh-pw'), false);
    assert.equal(await repo.verifyPassword('newcomer', 'changed-pw'), true);
    await slapd.deleteEntry(dn);
    assert.equal(await repo.lookup('newcomer'), undefined);
    assert.equal(await repo.verifyPassword('newcomer', 'changed-pw'), false);
  });

  it('refuses a name that two entries share instead of picking one', async () => {
    const dn = await slapd.addUser({ uid: 'twin', password: 'twin-1', cn: 'Twin One', rdn: 'cn' });
    const dn2 = await slapd.addUser({ uid: 'twin', password: 'twin-2', cn: 'Twin Two', rdn: 'cn' });
    try {
      assert.equal(await repo.lookup('twin'), undefined);
      assert.equal(await repo.verifyPassword('twin', 'twin-1'), false);
    } finally {
      await slapd.deleteEntry(dn);
      await slapd.deleteEntry(dn2);
    }
  });

  it('serves many concurrent logins through a pool of one connection, each with its own verdict', async () => {
    const single = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { poolSize: 1, cacheTtlMs: 0 });
    try {
      for (const r of [repo, single]) {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => {
            const u = ACTIVE_USERS[i % ACTIVE_USERS.length]!;
            return r.verifyPassword(u.uid, i % 3 === 0 ? 'wrong' : u.password);
          }),
        );
        results.forEach((ok, i) => assert.equal(ok, i % 3 !== 0, `login ${i}`));
      }
    } finally {
      await single.close();
    }
  });

  it('reports a wrong service account password as unavailable, never as an unknown user', async () => {
    const bad = createLdapUsersRepository(ldapConfig(slapd, { credentials: 'wrong' }), silentLogger());
    try {
      await assert.rejects(bad.lookup(ALICE.uid), UsersRepositoryUnavailableError);
      await assert.rejects(bad.verifyPassword(ALICE.uid, ALICE.password), UsersRepositoryUnavailableError);
      await assert.rejects(bad.list(), UsersRepositoryUnavailableError);
    } finally {
      await bad.close();
    }
  });

  it('reports a userBase that does not exist as unavailable', async () => {
    const bad = createLdapUsersRepository(ldapConfig(slapd, { userBase: `ou=nowhere,${slapd.suffix}` }), silentLogger());
    try {
      await assert.rejects(bad.lookup(ALICE.uid), /userBase "ou=nowhere/);
    } finally {
      await bad.close();
    }
  });

  it('rejects unusable settings when it is created', () => {
    const log = silentLogger();
    assert.throws(() => createLdapUsersRepository(ldapConfig(slapd, { ldapHost: [] }), log), LdapConfigError);
    assert.throws(() => createLdapUsersRepository(ldapConfig(slapd, { ldapHost: ['http://x'] }), log), /ldap:\/\/ or ldaps:\/\//);
    assert.throws(() => createLdapUsersRepository(ldapConfig(slapd, { filter: '(|(a=b)' }), log), /not a valid LDAP filter/);
    assert.throws(() => createLdapUsersRepository(ldapConfig(slapd, { userBase: '' }), log), /userBase is required/);
  });

  it('stops answering once closed', async () => {
    const closing = createLdapUsersRepository(ldapConfig(slapd), silentLogger());
    assert.deepEqual(await closing.lookup(CAROL.uid), { username: 'carol.mixed' });
    await closing.close();
    await assert.rejects(closing.lookup(ZOE.uid), UsersRepositoryUnavailableError);
  });
});
