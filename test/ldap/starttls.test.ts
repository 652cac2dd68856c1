// StartTLS and ldaps://: the connection is upgraded before the service account or any user password is sent, the
// server's certificate is checked, and a failed upgrade never falls back to clear text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import { UsersRepositoryUnavailableError } from '../../src/auth/users/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { slapdSkipReason, startSlapd, type SlapdServer } from '../support/slapd.js';
import { ALICE, deadUrl, ldapConfig } from './fixtures.js';

const skip = slapdSkipReason();

describe('LDAP users repository over StartTLS', { skip }, () => {
  let tlsSlapd: SlapdServer;
  let plainSlapd: SlapdServer;

  before(async () => {
    [tlsSlapd, plainSlapd] = await Promise.all([startSlapd({ users: [ALICE], tls: true }), startSlapd({ users: [ALICE] })]);
  });
  after(async () => {
    await tlsSlapd?.close();
    await plainSlapd?.close();
  });

  it('looks up and checks passwords over an upgraded connection that trusts the configured CA', async () => {
    const repo = createLdapUsersRepository(ldapConfig(tlsSlapd, { startTLS: true }), silentLogger(), {
      tlsOptions: { ca: tlsSlapd.caCert },
      cacheTtlMs: 0,
    });
    try {
      assert.deepEqual(await repo.lookup(ALICE.uid), { username: 'alice' });
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
      assert.equal(await repo.verifyPassword(ALICE.uid, 'wrong'), false);
      // After a restart the new connections are upgraded again before anything is sent.
      await tlsSlapd.stop();
      await tlsSlapd.start();
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
    } finally {
      await repo.close();
    }
  });

  it('also talks ldaps:// (TLS from the first byte), failing over from a dead host', async () => {
    const repo = createLdapUsersRepository(
      ldapConfig(tlsSlapd, { ldapHost: [await deadUrl(), tlsSlapd.ldapsUrl!] }),
      silentLogger(),
      { tlsOptions: { ca: tlsSlapd.caCert } },
    );
    try {
      assert.deepEqual(await repo.lookup(ALICE.uid), { username: 'alice' });
      assert.equal(await repo.verifyPassword(ALICE.uid, ALICE.password), true);
      assert.equal(await repo.verifyPassword(ALICE.uid, 'wrong'), false);
    } finally {
      await repo.close();
    }
    const untrusting = createLdapUsersRepository(ldapConfig(tlsSlapd, { ldapHost: [tlsSlapd.ldapsUrl!] }), silentLogger());
    try {
      await assert.rejects(untrusting.lookup(ALICE.uid), /certificate/i);
    } finally {
      await untrusting.close();
    }
  });

  it('refuses a server certificate it cannot verify', async () => {
    const repo = createLdapUsersRepository(ldapConfig(tlsSlapd, { startTLS: true }), silentLogger());
    try {
      await assert.rejects(repo.lookup(ALICE.uid), (err: unknown) => {
        assert.ok(err instanceof UsersRepositoryUnavailableError);
        assert.match(err.message, /certificate/i);
        return true;
      });
      await assert.rejects(repo.verifyPassword(ALICE.uid, ALICE.password), UsersRepositoryUnavailableError);
    } finally {
      await repo.close();
    }
  });

  it('does not fall back to clear text when the server cannot do StartTLS', async () => {
    const repo = createLdapUsersRepository(ldapConfig(plainSlapd, { startTLS: true }), silentLogger());
    try {
      await assert.rejects(repo.lookup(ALICE.uid), UsersRepositoryUnavailableError);
      await assert.rejects(repo.verifyPassword(ALICE.uid, ALICE.password), UsersRepositoryUnavailableError);
    } finally {
      await repo.close();
    }
  });
});
