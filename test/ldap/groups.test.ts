// "$group" ACL identifiers with LDAP users (issue #24), against a real slapd: a user's groups are the
// entries under <groups base> whose member attribute holds the user's DN (compared by the server,
// whatever case and blanks the directory wrote), named by their cn in canonical lower case. Alice
// shares Team with $support; bob (a member) reads it, carol (in another group) gets what a missing
// mailbox gets; taking bob out of the group in the directory ends his access at the next actor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import type { UsersRepository } from '../../src/auth/users/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { MailStore } from '../../src/store/types.js';
import { slapdSkipReason, startSlapd, type SlapdServer } from '../support/slapd.js';
import { ALICE, BOB, CAROL, HOSTILE_NAMES, ldapConfig } from './fixtures.js';

const skip = slapdSkipReason();

describe('LDAP groups for "$group" ACLs', { skip }, () => {
  let slapd: SlapdServer;
  let repo: UsersRepository;
  let dir: string;
  let bus: MemoryEventBus;
  let store: MailStore;
  let supportDn: string;

  before(async () => {
    slapd = await startSlapd({ users: [ALICE, BOB, CAROL] });
    supportDn = `cn=Support,ou=groups,${slapd.suffix}`;
    const client = await slapd.adminClient();
    try {
      await client.add(`ou=groups,${slapd.suffix}`, { objectClass: ['organizationalUnit'], ou: ['groups'] });
      // Member DNs as directories often hold them: another case and blanks than the entries' own.
      await client.add(supportDn, { objectClass: ['groupOfNames'], cn: ['Support'], member: [`UID=bob, ${slapd.peopleDn.toUpperCase()}`, `uid=alice,${slapd.peopleDn}`] });
      await client.add(`cn=sales,ou=groups,${slapd.suffix}`, { objectClass: ['groupOfNames'], cn: ['sales'], member: [`uid=Carol.Mixed,${slapd.peopleDn}`] });
      // Not a group of the filter: its members are in no group by it.
      await client.add(`cn=other,ou=groups,${slapd.suffix}`, { objectClass: ['groupOfUniqueNames'], cn: ['other'], uniqueMember: [`uid=bob,${slapd.peopleDn}`] });
    } finally {
      await client.unbind();
    }
    const groups = { base: `ou=groups,${slapd.suffix}`, memberAttribute: 'member', nameAttribute: 'cn', filter: '(objectClass=groupOfNames)' };
    // No cache: the test sees the directory's changes at once (the TTL is the cache test's subject).
    repo = createLdapUsersRepository(ldapConfig(slapd, { groups }), silentLogger(), { cacheTtlMs: 0 });
    dir = await mkdtemp(join(tmpdir(), 'tessera-ldap-groups-'));
    bus = new MemoryEventBus(silentLogger());
    store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  });

  after(async () => {
    await store?.close();
    await bus?.close();
    await repo?.close();
    await slapd?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers the groups whose member attribute holds the user, in canonical names', async () => {
    assert.deepEqual(await repo.groupsOf('bob'), ['support']);
    assert.deepEqual(await repo.groupsOf('BOB'), ['support']);
    assert.deepEqual(await repo.groupsOf('carol.mixed'), ['sales']);
    assert.deepEqual(await repo.groupsOf('ghost'), []);
    for (const name of HOSTILE_NAMES) assert.deepEqual(await repo.groupsOf(name), [], name);
  });

  it('a member reads the mailbox shared with $support; a non-member gets what a missing mailbox gets; leaving the group ends it', async () => {
    const actor = async (user: string) => ({ user, groups: await repo.groupsOf(user) });
    await store.ensureAccount('alice');
    const team = await store.createMailbox('alice', { path: 'Team' });
    await store.setRights('alice', team.id, '$support', 'lr');

    const bob = await actor('bob');
    assert.deepEqual((await store.sharedWith(bob)).map((s) => [s.owner, s.mailbox.path, s.rights]), [['alice', 'Team', 'lr']]);
    assert.equal((await store.actingAs(bob).snapshot('alice', team.id)).messages.length, 0);

    const carol = await actor('carol.mixed');
    assert.deepEqual(await store.sharedWith(carol), []);
    await assert.rejects(store.actingAs(carol).snapshot('alice', team.id), { code: 'noSuchMailbox' });
    await assert.rejects(store.actingAs(carol).snapshot('alice', 'mnonexistent'), { code: 'noSuchMailbox' });

    const client = await slapd.adminClient();
    try {
      await client.modify(supportDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [`uid=bob,${slapd.peopleDn}`] }) }));
    } finally {
      await client.unbind();
    }
    const after = await actor('bob');
    assert.deepEqual(after.groups, []);
    assert.deepEqual(await store.sharedWith(after), []);
    await assert.rejects(store.actingAs(after).snapshot('alice', team.id), { code: 'noSuchMailbox' });
  });

  it('without <groups>, users are in no group', async () => {
    const plain = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { cacheTtlMs: 0 });
    try {
      assert.deepEqual(await plain.groupsOf('bob'), []);
    } finally {
      await plain.close();
    }
  });
});
