// `tessera migrate --to postgres`: a node's users.sqlite (users, domains, app passwords, aliases,
// markers) and its mail store (store.sqlite, blobs/) moved into the PostgreSQL database that
// tessera.properties names, with a count check per table; a non-empty target refused unless --force.
// Afterwards the same logins work on PostgreSQL and the mail is there with its UIDs. Skipped with a notice without PostgreSQL, a failure under CI=true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { createPostgresUsersRepository } from '../../src/auth/users/postgres-users.js';
import { AppPasswordService } from '../../src/auth/app-passwords/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { loadDirectoryConfig } from '../../src/config/load.js';
import { embeddedUsersConfig, openEmbeddedUsers } from '../../src/server/users.js';
import type { DomainListConfig, EmbeddedUsersConfig } from '../../src/config/types.js';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';
import { cli } from './in-process.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { storeDirectory } from '../../src/store/directory.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { lockDataDirectory } from '../../src/server/data-lock.js';

const unavailable = await postgresUnavailable();
const vh: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' };
const domains: DomainListConfig = { domainnames: ['example.test'], defaultDomain: 'example.test' };

describe('tessera migrate --to postgres', { skip: unavailable ?? false }, () => {
  let c: TestConf;
  let db: TestSchema;
  let appSecret: string;

  before(async () => {
    c = await makeTestConf({ domains: ['example.test'] });
    db = await createTestSchema();
    // A populated single-node data directory.
    const node = await createEmbeddedUsersRepository(c.dataDir, vh, domains, silentLogger());
    try {
      await node.domains.add('second.test');
      await node.users.add('first@example.test', 'first-password');
      for (let i = 0; i < 1200; i++) await node.rewrites.add('alias', `a${i}@example.test`, 'first@example.test');
      await node.users.add('zed@second.test', 'zed-password');
      await node.rewrites.add('forward', 'zed@second.test', 'far@remote.example');
      await node.setMarker('demo-user-seeded', '2026-01-01T00:00:00.000Z');
      await node.groups.addMember('support', 'zed@second.test');
      const apps = new AppPasswordService({ store: node.appPasswords, users: node.users });
      appSecret = (await apps.create('zed@second.test', { name: 'Phone', scopes: ['imap'] })).secret;
    } finally {
      await node.close();
    }
    // Where `tessera serve` keeps it: <data.dir>/store/.
    const store = await openSqliteStore({ dataDir: storeDirectory(c.dataDir), events: new MemoryEventBus() });
    try {
      await store.ensureAccount('zed@second.test');
      const inbox = (await store.findMailboxByPath('zed@second.test', 'INBOX'))!;
      for (let i = 1; i <= 3; i++) {
        await store.append('zed@second.test', { mailboxIds: [inbox.id], bytes: Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`) });
      }
      await store.storeFlags('zed@second.test', inbox.id, [1], { mode: 'add', flags: ['\\Deleted'] });
      await store.expunge('zed@second.test', inbox.id, [1]);
    } finally {
      await store.close();
    }
  });

  after(async () => {
    await c?.dispose();
    await db?.drop();
    await dropSharedDatabase();
  });

  const conf = (): string[] => ['--conf', c.confDir];

  it('refuses without a PostgreSQL target in tessera.properties, and without --to postgres', async () => {
    const noTarget = await cli(['migrate', '--to', 'postgres', ...conf()]);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /storage\.engine=postgres/);
    assert.equal((await cli(['migrate', ...conf()])).code, 2);
    assert.equal((await cli(['migrate', '--to', 'mysql', ...conf()])).code, 2);
  });

  it('moves every table with a count check, then the same logins, aliases and app passwords work on PostgreSQL', async () => {
    await appendFile(join(c.confDir, 'tessera.properties'), `storage.engine=postgres\nstorage.postgres.url=${db.url}\nstorage.postgres.schema=${db.schema}\n`);
    const run = await cli(['migrate', '--to', 'postgres', ...conf()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^\d{4} rows imported$/m, 'progress on stderr');
    for (const line of ['domains: 2 in users.sqlite, 2 in PostgreSQL', 'users: 2 in users.sqlite, 2 in PostgreSQL', 'recipient_rewrites: 1201 in users.sqlite, 1201 in PostgreSQL', 'app_passwords: 1 in users.sqlite, 1 in PostgreSQL', 'users_meta: 1 in users.sqlite, 1 in PostgreSQL', 'user_groups: 1 in users.sqlite, 1 in PostgreSQL']) {
      assert.ok(run.stderr.includes(line), `${line} missing from:\n${run.stderr}`);
    }
    for (const line of ['account: 1 in store.sqlite, 1 in PostgreSQL', 'email: 2 in store.sqlite, 2 in PostgreSQL', 'msg: 2 in store.sqlite, 2 in PostgreSQL', 'expunged: 1 in store.sqlite, 1 in PostgreSQL']) {
      assert.ok(run.stderr.includes(line), `${line} missing from:\n${run.stderr}`);
    }
    assert.match(run.stderr, /^blobs: 2 copied/m);
    const mail = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: new MemoryEventBus() });
    try {
      const inbox = (await mail.findMailboxByPath('zed@second.test', 'INBOX'))!;
      assert.equal(inbox.uidNext, 4);
      assert.deepEqual((await mail.snapshot('zed@second.test', inbox.id)).messages.map((m) => m.uid), [2, 3]);
    } finally {
      await mail.close();
    }
    const moved = await createPostgresUsersRepository({ url: db.url, schema: db.schema }, vh, domains, silentLogger());
    try {
      assert.equal(await moved.users.verifyPassword('FIRST@example.test', 'first-password'), true);
      assert.equal(await moved.users.verifyPassword('zed@second.test', 'zed-password'), true);
      assert.equal((await moved.users.firstCreated?.())?.username, 'first@example.test');
      assert.deepEqual(await moved.domains.list(), ['example.test', 'second.test']);
      assert.deepEqual(await moved.rewrites.targetsOf('forward', 'zed@second.test'), ['far@remote.example']);
      assert.equal((await moved.rewrites.list('alias')).length, 1200);
      assert.equal(await moved.getMarker('demo-user-seeded'), '2026-01-01T00:00:00.000Z');
      assert.deepEqual(await moved.users.groupsOf('zed@second.test'), ['support']);
      const apps = new AppPasswordService({ store: moved.appPasswords, users: moved.users });
      assert.equal((await apps.verify('zed@second.test', appSecret, 'imap', '192.0.2.1')).kind, 'accepted');
    } finally {
      await moved.close();
    }
  });

  it('warns at start that the old users.sqlite is no longer read once the node is on PostgreSQL', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const { config } = await loadDirectoryConfig(c.confDir, { env: {} });
    const opened = await openEmbeddedUsers(config.settings, embeddedUsersConfig(config.users), config.domains, logger);
    await opened.close();
    const warned = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => /users\.sqlite is not read.*tessera migrate --to postgres/.test(l.msg));
    assert.equal(warned.length, 1);
  });

  it('refuses while a server holds the data directory', async () => {
    const lock = lockDataDirectory(c.dataDir);
    try {
      const run = await cli(['migrate', '--to', 'postgres', '--force', ...conf()]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /data directory .* is in use/);
    } finally {
      lock.release();
    }
  });

  it('refuses a target that already holds rows unless --force, which replaces them', async () => {
    const again = await cli(['migrate', '--to', 'postgres', ...conf()]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already hold rows .*--force/);
    // A user made on PostgreSQL after the first move is replaced by the directory's content.
    const target = await createPostgresUsersRepository({ url: db.url, schema: db.schema }, vh, domains, silentLogger());
    await target.users.add('late@example.test', 'late-password');
    await target.close();
    const forced = await cli(['migrate', '--to', 'postgres', '--force', ...conf()]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /users: 2 in users.sqlite, 2 in PostgreSQL/);
    assert.match(forced.stderr, /email: 2 in store.sqlite, 2 in PostgreSQL/);
    assert.match(forced.stderr, /^blobs: 0 copied/m);
    const after = await createPostgresUsersRepository({ url: db.url, schema: db.schema }, vh, domains, silentLogger());
    try {
      assert.equal(await after.users.lookup('late@example.test'), undefined);
      assert.equal(await after.users.verifyPassword('first@example.test', 'first-password'), true);
    } finally {
      await after.close();
    }
  });
});
