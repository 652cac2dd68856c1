// Shared mailboxes in the store (RFC 4314 rights): grants and revocations, the rights-checked view
// (actingAs) refusing exactly what the rights do not allow and hiding mailboxes without "l"/"r" as
// if missing, the "anyone" identifier, rights events, delegation grants, and the version-5 schema.
// The engine-independent cases run on SQLite and on PostgreSQL (skipped with a notice when no
// PostgreSQL answers, a failure under CI=true); the PostgreSQL-specific interleaving is checked with
// a rights change held uncommitted by another connection.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import pg from 'pg';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { ALL_RIGHTS, parseRights, type MailStore } from '../../src/store/types.js';
import type { AccountEvent } from '../../src/events/types.js';
import { waitFor } from '../support/wait.js';
import { message } from './fixtures.js';

const pgUnavailable = await postgresUnavailable();
after(dropSharedDatabase);

type Engine = 'sqlite' | 'postgres';
const ENGINES: Engine[] = ['sqlite', 'postgres'];

/** One test per engine; the PostgreSQL one is skipped (with the reason) when no server answers. */
function engineTest(name: string, fn: (engine: Engine) => Promise<void>): void {
  for (const engine of ENGINES) {
    test(`${name} (${engine})`, { skip: engine === 'postgres' ? (pgUnavailable ?? false) : false }, () => fn(engine));
  }
}

async function withEngineStore(engine: Engine, fn: (store: MailStore, bus: MemoryEventBus) => Promise<void>): Promise<void> {
  if (engine === 'sqlite') return withStore((store, bus) => fn(store, bus));
  const db = await createTestSchema();
  const bus = new MemoryEventBus(silentLogger());
  const store = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: bus, logger: silentLogger() });
  try {
    await fn(store, bus);
  } finally {
    await store.close();
    await bus.close();
    await db.drop();
  }
}

async function withStore(fn: (store: MailStore, bus: MemoryEventBus, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-acl-'));
  const bus = new MemoryEventBus(silentLogger());
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  try {
    await fn(store, bus, dir);
  } finally {
    await store.close();
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('rights letters parse to canonical form, obsolete c/d map to k and xte, unknown letters are refused', () => {
  assert.equal(parseRights('rl'), 'lr');
  assert.equal(parseRights('cd'), 'kxte');
  assert.equal(parseRights('lrswipkxtea'), ALL_RIGHTS);
  assert.throws(() => parseRights('lz'), /Unknown right/);
});

engineTest('a read-only share lets bob read and refuses every write; carol sees nothing', async (engine) => {
  await withEngineStore(engine, async (store) => {
    await store.ensureAccount('alice');
    await store.ensureAccount('bob');
    await store.ensureAccount('carol');
    const shared = await store.createMailbox('alice', { path: 'Shared' });
    const secret = await store.createMailbox('alice', { path: 'Secret' });
    await store.append('alice', { mailboxIds: [shared.id], bytes: message({ subject: 'for bob' }) });
    await store.setRights('alice', shared.id, 'bob', parseRights('lr'));

    assert.deepEqual(await store.listRights('alice', shared.id), [
      { identifier: 'alice', rights: ALL_RIGHTS },
      { identifier: 'bob', rights: 'lr' },
    ]);
    assert.equal(await store.myRights({ user: 'bob' }, 'alice', shared.id), 'lr');
    assert.equal(await store.myRights({ user: 'alice' }, 'alice', shared.id), ALL_RIGHTS);
    assert.deepEqual((await store.sharedWith({ user: 'bob' })).map((s) => [s.owner, s.mailbox.path, s.rights]), [['alice', 'Shared', 'lr']]);

    const bob = store.actingAs({ user: 'bob' });
    assert.deepEqual((await bob.listMailboxes('alice')).map((b) => b.path), ['Shared']);
    const snap = await bob.snapshot('alice', shared.id);
    assert.equal(snap.messages.length, 1);
    const raw = await bob.readMessage('alice', snap.messages[0]!.emailId);
    assert.match(raw!.toString(), /Subject: for bob/);

    await assert.rejects(bob.storeFlags('alice', shared.id, [snap.messages[0]!.uid], { mode: 'add', flags: ['\\Seen'] }), { code: 'noPermission' });
    await assert.rejects(bob.append('alice', { mailboxIds: [shared.id], bytes: message({}) }), { code: 'noPermission' });
    await assert.rejects(bob.expunge('alice', shared.id), { code: 'noPermission' });
    await assert.rejects(bob.deleteMailbox('alice', shared.id, { removeEmails: true }), { code: 'noPermission' });
    await assert.rejects(bob.setRights('alice', shared.id, 'bob', 'lrswipkxtea'), { code: 'noPermission' });
    await assert.rejects(bob.getQuota('alice'), { code: 'forbidden' });

    // A mailbox without rights answers as a missing one, for bob and for carol.
    const carol = store.actingAs({ user: 'carol' });
    for (const [who, id] of [[bob, secret.id], [carol, shared.id], [carol, 'mnonexistent']] as const) {
      assert.equal(await who.getMailbox('alice', id), null);
      await assert.rejects(who.snapshot('alice', id), { code: 'noSuchMailbox' });
      await assert.rejects(who.expunge('alice', id), { code: 'noSuchMailbox' });
    }
    assert.equal(await carol.findMailboxByPath('alice', 'Shared'), null);
    assert.equal(await carol.readMessage('alice', snap.messages[0]!.emailId), null);
    assert.deepEqual(await carol.listMailboxes('alice'), []);

    // Bob's own account is unaffected by the view.
    assert.ok((await bob.listMailboxes('bob')).some((b) => b.path === 'INBOX'));
  });
});

engineTest('write rights allow exactly their operations; "anyone" adds to every user', async (engine) => {
  await withEngineStore(engine, async (store) => {
    await store.ensureAccount('alice');
    const box = await store.createMailbox('alice', { path: 'Team' });
    await store.setRights('alice', box.id, 'anyone', 'lr');
    await store.setRights('alice', box.id, 'bob', 'si');
    const bob = store.actingAs({ user: 'bob' });
    assert.equal(await store.myRights({ user: 'bob' }, 'alice', box.id), 'lrsi');
    const [placed] = (await bob.append('alice', { mailboxIds: [box.id], bytes: message({}), flags: ['\\Seen'] })).placements;
    await bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'remove', flags: ['\\Seen'] });
    await assert.rejects(bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['$Label'] }), { code: 'noPermission' });
    await assert.rejects(bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['\\Deleted'] }), { code: 'noPermission' });
    await assert.rejects(bob.append('alice', { mailboxIds: [box.id], bytes: message({}), flags: ['\\Flagged'] }), { code: 'noPermission' });
    assert.equal(await store.myRights({ user: 'dave' }, 'alice', box.id), 'lr');
  });
});

engineTest('revoking publishes rights-changed and ends access at once; deleting the mailbox drops its ACL', async (engine) => {
  await withEngineStore(engine, async (store, bus) => {
    await store.ensureAccount('alice');
    const box = await store.createMailbox('alice', { path: 'Shared' });
    const seen: AccountEvent[] = [];
    bus.onAccount('alice', (e) => seen.push(e));
    await store.setRights('alice', box.id, 'bob', 'lr');
    const bob = store.actingAs({ user: 'bob' });
    await bob.snapshot('alice', box.id);
    assert.equal(await store.deleteRights('alice', box.id, 'bob'), true);
    assert.equal(await store.deleteRights('alice', box.id, 'bob'), false);
    await assert.rejects(bob.snapshot('alice', box.id), { code: 'noSuchMailbox' });
    await waitFor('two rights-changed events', () => seen.filter((e) => e.type === 'rights-changed').length === 2);
    await assert.rejects(store.setRights('alice', box.id, 'alice', 'lr'), { code: 'invalidArgument' });
    await store.setRights('alice', box.id, 'bob', 'lr');
    await store.deleteMailbox('alice', box.id, { removeEmails: true });
    assert.deepEqual(await store.sharedWith({ user: 'bob' }), []);
  });
});

engineTest('a "$group" entry gives its rights to the actors in that group, added to their own', async (engine) => {
  await withEngineStore(engine, async (store) => {
    await store.ensureAccount('alice');
    const team = await store.createMailbox('alice', { path: 'Team' });
    await store.createMailbox('alice', { path: 'Private' });
    await store.append('alice', { mailboxIds: [team.id], bytes: message({ subject: 'for support' }) });
    await store.setRights('alice', team.id, '$support', 'lr');
    await store.setRights('alice', team.id, 'bob', 'i');
    const bob = { user: 'bob', groups: ['sales', 'support'] };
    assert.equal(await store.myRights(bob, 'alice', team.id), 'lri');
    assert.equal(await store.myRights({ user: 'bob' }, 'alice', team.id), 'i');
    assert.deepEqual((await store.sharedWith(bob)).map((s) => [s.owner, s.mailbox.path, s.rights]), [['alice', 'Team', 'lri']]);
    const view = store.actingAs(bob);
    assert.deepEqual((await view.listMailboxes('alice')).map((b) => b.path), ['Team']);
    assert.equal((await view.snapshot('alice', team.id)).messages.length, 1);
    // Carol is in another group, and a user named like the group is not its member.
    for (const carol of [{ user: 'carol', groups: ['sales'] }, { user: '$support' }]) {
      assert.equal(await store.myRights(carol, 'alice', team.id), '');
      assert.deepEqual(await store.sharedWith(carol), []);
      assert.equal(await store.actingAs(carol).getMailbox('alice', team.id), null);
      await assert.rejects(store.actingAs(carol).snapshot('alice', team.id), { code: 'noSuchMailbox' });
    }
    // Leaving the group (the next actor names no groups) ends the group's rights.
    const after = store.actingAs({ user: 'bob', groups: ['sales'] });
    await assert.rejects(after.snapshot('alice', team.id), { code: 'noSuchMailbox' });
    assert.deepEqual(await store.sharedWith({ user: 'bob', groups: ['sales'] }), []);
    assert.deepEqual((await store.listRights('alice', team.id)).map((e) => e.identifier), ['alice', '$support', 'bob']);
    await assert.rejects(store.setRights('alice', team.id, '$', 'lr'), { code: 'invalidArgument' });
    // A group is no account: granting it records no share notification.
    assert.equal(await store.getAccount('$support'), null);
  });
});

engineTest('delegation grants are per owner and delegate', async (engine) => {
  await withEngineStore(engine, async (store) => {
    await store.grantDelegation('alice', 'bob');
    await store.grantDelegation('alice', 'bob');
    assert.equal(await store.mayActAs('bob', 'alice'), true);
    assert.equal(await store.mayActAs('alice', 'bob'), false);
    assert.deepEqual(await store.listDelegates('alice'), ['bob']);
    await assert.rejects(store.actingAs({ user: 'carol' }).grantDelegation('alice', 'carol'), { code: 'forbidden' });
    assert.equal(await store.revokeDelegation('alice', 'bob'), true);
    assert.equal(await store.mayActAs('bob', 'alice'), false);
  });
});

test('a version-5 database is migrated to version 6 with the sharing tables', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-acl-mig-'));
  try {
    const bus = new MemoryEventBus(silentLogger());
    let store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
    await store.close();
    const db = new Database(join(dir, 'store.sqlite'));
    db.exec("DROP TABLE mailbox_acl; DROP TABLE delegation; UPDATE meta SET value = '5' WHERE key = 'schema_version'");
    db.close();
    store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
    await store.ensureAccount('alice');
    const inbox = await store.findMailboxByPath('alice', 'INBOX');
    await store.setRights('alice', inbox!.id, 'bob', 'lr');
    await store.close();
    await bus.close();
    const check = new Database(join(dir, 'store.sqlite'), { readonly: true });
    assert.equal((check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, String(SCHEMA_VERSION));
    check.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a revocation that commits while an append writes its blob refuses the append at its commit', async () => {
  await withStore(async (store) => {
    await store.ensureAccount('alice');
    const box = await store.createMailbox('alice', { path: 'Drop' });
    await store.setRights('alice', box.id, 'bob', 'lri');
    const bob = store.actingAs({ user: 'bob' });
    // The append checks "i" and then writes and syncs its blob file (awaits); the revocation's
    // transaction commits synchronously in between, so only the check inside the commit can see it.
    const appending = bob.append('alice', { mailboxIds: [box.id], bytes: message({ subject: 'late' }) });
    const revoking = store.deleteRights('alice', box.id, 'bob');
    await assert.rejects(appending, { code: 'noSuchMailbox' });
    assert.equal(await revoking, true);
    assert.equal((await store.getMailbox('alice', box.id))!.totalEmails, 0);
  });
});

test('a write started before a revocation commits within its own transaction, never after it', async () => {
  await withStore(async (store) => {
    await store.ensureAccount('alice');
    const box = await store.createMailbox('alice', { path: 'Team' });
    const [placed] = (await store.append('alice', { mailboxIds: [box.id], bytes: message({}) })).placements;
    await store.setRights('alice', box.id, 'bob', 'lrw');
    const bob = store.actingAs({ user: 'bob' });
    const before = bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['$before'] });
    const revoking = store.deleteRights('alice', box.id, 'bob');
    const after = bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['$after'] });
    await before;
    await revoking;
    await assert.rejects(after, { code: 'noSuchMailbox' });
    const [meta] = await store.getMessages('alice', box.id, [placed!.uid]);
    assert.deepEqual(meta!.flags.filter((f) => f.startsWith('$')), ['$before']);
  });
});

test('on PostgreSQL a write waits for a rights change another node holds open and is refused when it commits', { skip: pgUnavailable ?? false }, async () => {
  const db = await createTestSchema();
  const bus = new MemoryEventBus(silentLogger());
  const store = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: bus, logger: silentLogger() });
  const other = new pg.Client({ connectionString: db.url, options: `-c search_path=${db.schema},public` });
  try {
    await store.ensureAccount('alice');
    const box = await store.createMailbox('alice', { path: 'Team' });
    const [placed] = (await store.append('alice', { mailboxIds: [box.id], bytes: message({}) })).placements;
    await store.setRights('alice', box.id, 'bob', 'lrw');
    const bob = store.actingAs({ user: 'bob' });
    await bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['$before'] });

    // Another node's DELETEACL, not committed yet: like every rights change it holds the owner's row.
    await other.connect();
    await other.query('BEGIN');
    await other.query("SELECT id FROM account WHERE name = 'alice' FOR UPDATE");
    await other.query("DELETE FROM mailbox_acl WHERE identifier = 'bob'");
    const flagging = bob.storeFlags('alice', box.id, [placed!.uid], { mode: 'add', flags: ['$after'] });
    flagging.catch(() => undefined);
    // The write is queued behind that lock (its check has not run yet) when the change commits.
    await waitFor('the write waiting for the account row', async () => {
      const r = await other.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return r.rows[0]!.n > 0;
    });
    await other.query('COMMIT');
    await assert.rejects(flagging, { code: 'noSuchMailbox' });
    const [meta] = await store.getMessages('alice', box.id, [placed!.uid]);
    assert.deepEqual(meta!.flags.filter((f) => f.startsWith('$')), ['$before']);
  } finally {
    await other.end().catch(() => undefined);
    await store.close();
    await bus.close();
    await db.drop();
  }
});

engineTest('a drop box ("i" alone) takes appends, is found only by an insert lookup, and stays hidden otherwise', async (engine) => {
  await withEngineStore(engine, async (store) => {
    for (const user of ['alice', 'bob', 'carol']) await store.ensureAccount(user);
    const drop = await store.createMailbox('alice', { path: 'Drop' });
    await store.setRights('alice', drop.id, 'bob', parseRights('i'));
    const bob = store.actingAs({ user: 'bob' });
    const carol = store.actingAs({ user: 'carol' });
    assert.equal(await bob.findMailboxByPath('alice', 'Drop'), null, 'not visible');
    assert.equal((await bob.findMailboxByPath('alice', 'Drop', 'insert'))?.id, drop.id, 'reached for an insert');
    assert.equal(await carol.findMailboxByPath('alice', 'Drop', 'insert'), null, 'no right, no reach');
    assert.deepEqual(await bob.listMailboxes('alice'), []);

    await bob.append('alice', { mailboxIds: [drop.id], bytes: message({ subject: 'dropped' }) });
    assert.equal((await store.snapshot('alice', drop.id)).messages.length, 1);
    // Flags need their own rights even in a drop box; reading needs "r".
    await assert.rejects(bob.append('alice', { mailboxIds: [drop.id], bytes: message({}), flags: ['\\Seen'] }), { code: 'noPermission' });
    await assert.rejects(bob.snapshot('alice', drop.id), { code: 'noSuchMailbox' });
    await assert.rejects(carol.append('alice', { mailboxIds: [drop.id], bytes: message({}) }), { code: 'noSuchMailbox' });
  });
});
