// The users-repository contract as a reusable test suite. Every implementation (embedded SQLite,
// LDAP) runs the read-only half; writable ones run the writable half too. Call these from a
// *.test.ts file with a setup function that builds the repository under test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedGroups } from './groups.js';
import { InvalidUserNameError, ReadOnlyRepositoryError, UnknownUserError, UserExistsError, type UsersRepository } from './types.js';

export interface UsersContractFixture {
  repository: UsersRepository;
  /** Users that exist, with their passwords (at least one; give one a mixed-case name if the source allows). */
  users: { username: string; password: string }[];
  /** A well-formed user name that does not exist. */
  unknownUser: string;
  dispose(): Promise<void>;
}

export interface WritableUsersContractFixture {
  repository: UsersRepository;
  /** With virtual hosting: a domain in the domain list (users are created in it). */
  domain?: string;
  /** With virtual hosting: a well-formed domain that is not in the domain list. */
  unknownDomain?: string;
  dispose(): Promise<void>;
}

function upperCased(name: string): string {
  return name.toUpperCase();
}

export function readOnlyUsersContract(label: string, setup: () => Promise<UsersContractFixture>): void {
  describe(`users repository contract, read side: ${label}`, () => {
    let f: UsersContractFixture;
    before(async () => {
      f = await setup();
      assert.ok(f.users.length > 0, 'the fixture must provide at least one user');
    });
    after(async () => {
      await f.dispose();
    });

    it('looks up an existing user by name, ignoring case, and returns one canonical name', async () => {
      for (const { username } of f.users) {
        const exact = await f.repository.lookup(username);
        assert.ok(exact, `${username} should exist`);
        const shouted = await f.repository.lookup(upperCased(username));
        assert.equal(shouted?.username, exact.username);
        assert.equal(exact.username, exact.username.toLowerCase());
      }
    });

    it('answers undefined for an unknown user', async () => {
      assert.equal(await f.repository.lookup(f.unknownUser), undefined);
    });

    it('answers undefined, without throwing, for names that cannot exist', async () => {
      for (const name of ['', '@', 'a b', 'x'.repeat(2000), 'nul\u0000byte', '*', 'a@b@']) {
        assert.equal(await f.repository.lookup(name), undefined, JSON.stringify(name.slice(0, 20)));
      }
    });

    it('accepts the right password, whatever the case of the user name', async () => {
      for (const { username, password } of f.users) {
        assert.equal(await f.repository.verifyPassword(username, password), true);
        assert.equal(await f.repository.verifyPassword(upperCased(username), password), true);
      }
    });

    it('refuses a wrong password, a password in another case and an empty one', async () => {
      const { username, password } = f.users[0]!;
      assert.equal(await f.repository.verifyPassword(username, `${password}x`), false);
      assert.equal(await f.repository.verifyPassword(username, password.slice(0, -1)), false);
      if (password.toUpperCase() !== password) {
        assert.equal(await f.repository.verifyPassword(username, password.toUpperCase()), false);
      }
      assert.equal(await f.repository.verifyPassword(username, ''), false);
    });

    it('refuses any password for an unknown or malformed user without throwing', async () => {
      assert.equal(await f.repository.verifyPassword(f.unknownUser, f.users[0]!.password), false);
      assert.equal(await f.repository.verifyPassword('', ''), false);
      assert.equal(await f.repository.verifyPassword('a b@@', 'x'), false);
    });

    it('lists every user under its canonical name', async () => {
      const listed = (await f.repository.list()).map((u) => u.username);
      for (const { username } of f.users) {
        const canonical = (await f.repository.lookup(username))!.username;
        assert.ok(listed.includes(canonical), `${canonical} missing from ${listed.join(', ')}`);
      }
    });

    it('refuses writes with ReadOnlyRepositoryError when read-only', async (t) => {
      if (!f.repository.readOnly) {
        t.skip('writable repository: covered by the writable half');
        return;
      }
      const { username } = f.users[0]!;
      await assert.rejects(f.repository.add(f.unknownUser, 'pw-123456'), ReadOnlyRepositoryError);
      await assert.rejects(f.repository.remove(username), ReadOnlyRepositoryError);
      await assert.rejects(f.repository.setPassword(username, 'pw-123456'), ReadOnlyRepositoryError);
    });
  });
}

export function writableUsersContract(label: string, setup: () => Promise<WritableUsersContractFixture>): void {
  describe(`users repository contract, write side: ${label}`, () => {
    let f: WritableUsersContractFixture;
    let vh: boolean;
    const name = (local: string): string => (vh ? `${local}@${f.domain}` : local);
    before(async () => {
      f = await setup();
      vh = f.repository.virtualHosting;
      assert.equal(f.repository.readOnly, false);
      if (vh) assert.ok(f.domain && f.unknownDomain, 'a virtual-hosting fixture names a known and an unknown domain');
    });
    after(async () => {
      await f.dispose();
    });

    it('adds a user who can then be looked up (in lowercase) and log in', async () => {
      await f.repository.add(name('Alice.Add'), 'correct horse');
      assert.equal((await f.repository.lookup(name('alice.add')))?.username, name('alice.add').toLowerCase());
      assert.equal(await f.repository.verifyPassword(name('ALICE.ADD'), 'correct horse'), true);
      assert.equal(await f.repository.verifyPassword(name('alice.add'), 'wrong horse'), false);
    });

    it('refuses to add a user twice, even in another case', async () => {
      await f.repository.add(name('bob.twice'), 'pw-one');
      await assert.rejects(f.repository.add(name('BOB.twice'), 'pw-two'), UserExistsError);
      assert.equal(await f.repository.verifyPassword(name('bob.twice'), 'pw-one'), true);
    });

    it('changes a password: the old one stops working, the new one works', async () => {
      await f.repository.add(name('carol.passwd'), 'old-password');
      await f.repository.setPassword(name('Carol.Passwd'), 'new-password');
      assert.equal(await f.repository.verifyPassword(name('carol.passwd'), 'old-password'), false);
      assert.equal(await f.repository.verifyPassword(name('carol.passwd'), 'new-password'), true);
    });

    it('refuses to change the password of an unknown user', async () => {
      await assert.rejects(f.repository.setPassword(name('nobody.passwd'), 'whatever'), UnknownUserError);
    });

    it('removes a user, who then neither exists nor logs in; removing again is an error', async () => {
      await f.repository.add(name('dave.remove'), 'pw-dave');
      await f.repository.remove(name('DAVE.remove'));
      assert.equal(await f.repository.lookup(name('dave.remove')), undefined);
      assert.equal(await f.repository.verifyPassword(name('dave.remove'), 'pw-dave'), false);
      await assert.rejects(f.repository.remove(name('dave.remove')), UnknownUserError);
    });

    it('lists users in name order', async () => {
      await f.repository.add(name('zed.list'), 'pw');
      await f.repository.add(name('abe.list'), 'pw');
      const listed = (await f.repository.list()).map((u) => u.username);
      assert.deepEqual(listed, [...listed].sort());
      assert.ok(listed.includes(name('zed.list')) && listed.includes(name('abe.list')));
    });

    it('refuses names that do not match the virtual-hosting setting or are malformed', async () => {
      const wrongForm = vh ? 'no-domain' : 'has@example.org';
      await assert.rejects(f.repository.add(wrongForm, 'pw'), InvalidUserNameError);
      for (const bad of ['', 'white space', 'quote"d', name('')]) {
        await assert.rejects(f.repository.add(bad, 'pw'), InvalidUserNameError, JSON.stringify(bad));
      }
    });

    it('refuses a user in a domain outside the domain list', async (t) => {
      if (!vh) {
        t.skip('no virtual hosting: no domains');
        return;
      }
      await assert.rejects(f.repository.add(`erin@${f.unknownDomain}`, 'pw'), /not in the domain list/);
      assert.equal(await f.repository.lookup(`erin@${f.unknownDomain}`), undefined);
    });

    it('refuses an empty password or one that SASL PLAIN cannot carry', async () => {
      await assert.rejects(f.repository.add(name('frank.pw'), ''), /empty/);
      await assert.rejects(f.repository.add(name('frank.pw'), 'a\u0000b'), /NUL/);
      assert.equal(await f.repository.lookup(name('frank.pw')), undefined);
    });

    it('keeps non-ASCII passwords exact', async () => {
      await f.repository.add(name('gina.unicode'), 'pässwörd-日本');
      assert.equal(await f.repository.verifyPassword(name('gina.unicode'), 'pässwörd-日本'), true);
      assert.equal(await f.repository.verifyPassword(name('gina.unicode'), 'passwörd-日本'), false);
    });
  });
}

/** An embedded users database opened for a contract fixture (users.sqlite or PostgreSQL). */
export interface OpenedEmbeddedUsers {
  embedded: { users: UsersRepository; groups: EmbeddedGroups };
  dispose(): Promise<void>;
}

/**
 * Both halves of the contract, with and without virtual hosting, for an embedded users database on
 * one engine: `open(virtualHosting)` opens a fresh one whose domain list holds example.org.
 */
export function embeddedUsersContracts(engine: string, open: (virtualHosting: boolean) => Promise<OpenedEmbeddedUsers>): void {
  readOnlyUsersContract(`${engine}, virtual hosting`, async () => {
    const { embedded, dispose } = await open(true);
    await embedded.users.add('Mixed.Case@Example.org', 'secret-one');
    await embedded.users.add('plain@example.org', 'Secret-Two');
    return {
      repository: embedded.users,
      users: [
        { username: 'Mixed.Case@Example.org', password: 'secret-one' },
        { username: 'plain@example.org', password: 'Secret-Two' },
      ],
      unknownUser: 'ghost@example.org',
      dispose,
    };
  });

  readOnlyUsersContract(`${engine}, bare names`, async () => {
    const { embedded, dispose } = await open(false);
    await embedded.users.add('Bare', 'bare-secret');
    return { repository: embedded.users, users: [{ username: 'Bare', password: 'bare-secret' }], unknownUser: 'ghost', dispose };
  });

  writableUsersContract(`${engine}, virtual hosting`, async () => {
    const { embedded, dispose } = await open(true);
    return { repository: embedded.users, domain: 'example.org', unknownDomain: 'elsewhere.test', dispose };
  });

  writableUsersContract(`${engine}, bare names`, async () => {
    const { embedded, dispose } = await open(false);
    return { repository: embedded.users, dispose };
  });

  describe(`embedded groups ("$group" ACL identifiers): ${engine}`, () => {
    it('adds and removes members, answers groupsOf in canonical names, and drops a removed user', async () => {
      const { embedded, dispose } = await open(true);
      try {
        await embedded.users.add('Bob@example.org', 'bob-secret');
        await embedded.users.add('carol@example.org', 'carol-secret');
        const { groups, users } = embedded;
        assert.equal(await groups.addMember('Support', 'BOB@example.org'), true);
        assert.equal(await groups.addMember('support', 'bob@example.org'), false);
        await groups.addMember('sales', 'bob@example.org');
        await groups.addMember('support', 'carol@example.org');
        assert.deepEqual(await users.groupsOf('BOB@Example.org'), ['sales', 'support']);
        assert.deepEqual(await users.groupsOf('ghost@example.org'), []);
        assert.deepEqual(await users.groupsOf('not a name'), []);
        assert.deepEqual(await groups.list(), ['sales', 'support']);
        assert.deepEqual(await groups.members('SUPPORT'), ['bob@example.org', 'carol@example.org']);
        await assert.rejects(groups.addMember('support', 'ghost@example.org'), UnknownUserError);
        await assert.rejects(groups.addMember('$support', 'bob@example.org'), { name: 'InvalidGroupNameError' });
        await assert.rejects(groups.addMember('x'.repeat(101), 'bob@example.org'), { name: 'InvalidGroupNameError' });
        assert.equal(await groups.removeMember('support', 'bob@example.org'), true);
        assert.equal(await groups.removeMember('support', 'bob@example.org'), false);
        assert.deepEqual(await users.groupsOf('bob@example.org'), ['sales']);
        await users.remove('bob@example.org');
        assert.deepEqual(await groups.list(), ['support']);
        await groups.remove('support');
        await assert.rejects(groups.members('support'), { name: 'UnknownGroupError' });
        await assert.rejects(groups.remove('support'), { name: 'UnknownGroupError' });
        assert.deepEqual(await users.groupsOf('carol@example.org'), []);
      } finally {
        await dispose();
      }
    });
  });
}
