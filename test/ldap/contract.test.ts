// The shared users-repository contract (read side), run against a real slapd: once with James'
// classic layout (uid holds a bare name) and once with virtual hosting (mail holds the address).
import { test } from 'node:test';
import { readOnlyUsersContract } from '../../src/auth/users/contract.js';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { slapdSkipReason, startSlapd } from '../support/slapd.js';
import { ALICE, ALL_USERS, BOB, CAROL, ZOE, ldapConfig } from './fixtures.js';

const skip = slapdSkipReason();

if (skip) {
  test('users repository contract against slapd', { skip }, () => {});
} else {
  readOnlyUsersContract('LDAP, uid as user name', async () => {
    const slapd = await startSlapd({ users: ALL_USERS });
    const repository = createLdapUsersRepository(ldapConfig(slapd), silentLogger());
    return {
      repository,
      users: [ALICE, BOB, CAROL, ZOE].map((u) => ({ username: u.uid, password: u.password })),
      unknownUser: 'nobody',
      dispose: async () => {
        await repository.close();
        await slapd.close();
      },
    };
  });

  readOnlyUsersContract('LDAP, virtual hosting with mail as user name', async () => {
    const slapd = await startSlapd({ users: ALL_USERS });
    const repository = createLdapUsersRepository(
      ldapConfig(slapd, { userIdAttribute: 'mail', enableVirtualHosting: true }),
      silentLogger(),
    );
    return {
      repository,
      users: [ALICE, BOB, CAROL, ZOE].map((u) => ({ username: u.mail, password: u.password })),
      unknownUser: 'nobody@tessera.test',
      dispose: async () => {
        await repository.close();
        await slapd.close();
      },
    };
  });
}
