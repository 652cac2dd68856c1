// James' group restriction of the LDAP users repository against a real slapd: only entries listed
// in a restriction group (by its memberAttribute, DNs compared in normal form) are users, for
// lookups, password checks and listing alike; a group missing from the directory lets none of its
// would-be members in and leaves the other groups working.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Attribute, Change } from 'ldapts';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import { LdapConfigError } from '../../src/auth/ldap/errors.js';
import { normalizeDn } from '../../src/auth/ldap/groups.js';
import type { UsersRepository } from '../../src/auth/users/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { slapdSkipReason, startSlapd, type SlapdServer } from '../support/slapd.js';
import { ALICE, BOB, CAROL, ldapConfig } from './fixtures.js';

const skip = slapdSkipReason();

describe('DN normal form', () => {
  it('ignores case and blanks around separators, keeps escaped commas', () => {
    assert.equal(normalizeDn('UID=Alice, OU=People ,dc=Tessera,dc=test'), 'uid=alice,ou=people,dc=tessera,dc=test');
    assert.equal(normalizeDn('cn=Doe\\, Jane,ou=people,dc=test'), 'cn=doe\\, jane,ou=people,dc=test');
    assert.notEqual(normalizeDn('uid=alice,ou=people,dc=test'), normalizeDn('uid=alice2,ou=people,dc=test'));
  });
});

describe('LDAP group restriction', { skip }, () => {
  let slapd: SlapdServer;
  let unique: UsersRepository;
  let withMissingGroup: UsersRepository;

  before(async () => {
    slapd = await startSlapd({ users: [ALICE, BOB, CAROL] });
    const client = await slapd.adminClient();
    try {
      await client.add(`ou=groups,${slapd.suffix}`, { objectClass: ['organizationalUnit'], ou: ['groups'] });
      await client.add(`cn=mail,ou=groups,${slapd.suffix}`, {
        objectClass: ['groupOfUniqueNames'],
        cn: ['mail'],
        uniqueMember: [`uid=alice,${slapd.peopleDn}`, `UID=Carol.Mixed, ${slapd.peopleDn.toUpperCase()}`],
      });
    } finally {
      await client.unbind();
    }
    const restriction = (groups: string[]) => ({ memberAttribute: 'uniqueMember', groups });
    unique = createLdapUsersRepository(ldapConfig(slapd, { filter: undefined, restriction: restriction([`cn=mail,ou=groups,${slapd.suffix}`]) }), silentLogger(), { cacheTtlMs: 0 });
    withMissingGroup = createLdapUsersRepository(
      ldapConfig(slapd, { filter: undefined, restriction: restriction([`cn=gone,ou=groups,${slapd.suffix}`, `cn=mail,ou=groups,${slapd.suffix}`]) }),
      silentLogger(),
      { cacheTtlMs: 0 },
    );
  });

  after(async () => {
    await unique?.close();
    await withMissingGroup?.close();
    await slapd?.close();
  });

  it('lets in members only, whatever case and blanks the group wrote their DN with', async () => {
    assert.deepEqual(await unique.lookup(ALICE.uid), { username: 'alice' });
    assert.deepEqual(await unique.lookup(CAROL.uid), { username: 'carol.mixed' });
    assert.equal(await unique.lookup(BOB.uid), undefined);
    assert.equal(await unique.verifyPassword(ALICE.uid, ALICE.password), true);
    assert.equal(await unique.verifyPassword(BOB.uid, BOB.password), false, 'a right password of a non-member is no login');
  });

  it('lists members only', async () => {
    assert.deepEqual(await unique.list(), [{ username: 'alice' }, { username: 'carol.mixed' }]);
  });

  it('a group that does not exist has no members; the other groups still count', async () => {
    assert.deepEqual(await withMissingGroup.lookup(ALICE.uid), { username: 'alice' });
    assert.equal(await withMissingGroup.lookup(BOB.uid), undefined);
  });

  it('membership changes in the directory take effect (no cache here)', async () => {
    const client = await slapd.adminClient();
    try {
      await client.modify(
        `cn=mail,ou=groups,${slapd.suffix}`,
        new Change({ operation: 'add', modification: new Attribute({ type: 'uniqueMember', values: [`uid=bob,${slapd.peopleDn}`] }) }),
      );
    } finally {
      await client.unbind();
    }
    assert.deepEqual(await unique.lookup(BOB.uid), { username: 'bob' });
  });

  it('refuses a restriction without groups or with a member attribute that is not an attribute name', () => {
    assert.throws(() => createLdapUsersRepository(ldapConfig(slapd, { restriction: { memberAttribute: 'member', groups: [] } }), silentLogger()), LdapConfigError);
    assert.throws(
      () => createLdapUsersRepository(ldapConfig(slapd, { restriction: { memberAttribute: 'member)(x', groups: ['cn=a,dc=test'] } }), silentLogger()),
      LdapConfigError,
    );
  });
});
