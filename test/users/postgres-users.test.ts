// The embedded users repository, domain list, app passwords and rewrite table on PostgreSQL
// (storage.engine=postgres): the same users contract as users.sqlite, and what several nodes on one
// database must see — a user, domain, alias or app password written through one handle is seen at
// once through another. Each fixture in a schema of its own. Skipped with a notice when no PostgreSQL
// answers, a failure under CI=true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { embeddedUsersContracts } from '../../src/auth/users/contract.js';
import { createPostgresUsersRepository } from '../../src/auth/users/postgres-users.js';
import { UsersPg } from '../../src/auth/users/postgres-database.js';
import type { EmbeddedUsers } from '../../src/auth/users/embedded.js';
import { DomainExistsError, DomainInUseError, UnknownDomainError } from '../../src/auth/users/errors.js';
import { hashPassword } from '../../src/auth/users/password-hash.js';
import { AppPasswordService } from '../../src/auth/app-passwords/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DomainListConfig, EmbeddedUsersConfig } from '../../src/config/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';

const vhOn: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' };
const vhOff: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: false, algorithm: 'scrypt' };
const domainsCfg: DomainListConfig = { domainnames: ['example.org', 'Configured.Test'], defaultDomain: 'example.org' };

const unavailable = await postgresUnavailable();

function openOn(db: TestSchema, cfg: EmbeddedUsersConfig, domains: DomainListConfig = domainsCfg): Promise<EmbeddedUsers> {
  return createPostgresUsersRepository({ url: db.url, schema: db.schema, poolSize: 2 }, cfg, domains, silentLogger());
}

async function open(cfg: EmbeddedUsersConfig, domains: DomainListConfig = domainsCfg) {
  const db = await createTestSchema();
  const embedded = await openOn(db, cfg, domains);
  return {
    db,
    embedded,
    dispose: async () => {
      await embedded.close();
      await db.drop();
    },
  };
}

if (unavailable) {
  describe('users on PostgreSQL', () => {
    it('needs a PostgreSQL server', { skip: unavailable }, () => undefined);
  });
} else {
  after(dropSharedDatabase);

  embeddedUsersContracts('PostgreSQL', (virtualHosting) => open(virtualHosting ? vhOn : vhOff));

  describe('users database on PostgreSQL shared by several nodes', () => {
    let ctx: Awaited<ReturnType<typeof open>>;
    let nodeA: EmbeddedUsers;
    let nodeB: EmbeddedUsers;
    before(async () => {
      ctx = await open(vhOn);
      nodeA = ctx.embedded;
      nodeB = await openOn(ctx.db, vhOn);
    });
    after(async () => {
      await nodeB.close();
      await ctx.dispose();
    });

    it('migrates once when several nodes open the same new schema at the same moment', async () => {
      const db = await createTestSchema();
      try {
        const nodes = await Promise.all([1, 2, 3, 4].map(() => openOn(db, vhOn)));
        await nodes[0]!.users.add('first@example.org', 'pw-first-1');
        for (const n of nodes) assert.equal((await n.users.firstCreated?.())?.username, 'first@example.org');
        await Promise.all(nodes.map((n) => n.close()));
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          const rows = (await c.query(`SELECT version FROM ${db.schema}.users_schema_migration ORDER BY version`)).rows as { version: number }[];
          assert.deepEqual(rows.map((r) => r.version), [1, 2, 3], 'each migration once (2: the shared login throttle, 3: groups)');
        } finally {
          await c.end();
        }
      } finally {
        await db.drop();
      }
    });

    it('a user added, re-passworded and removed on one node is seen at once on the other', async () => {
      await nodeA.users.add('Shared.User@example.org', 'first-password');
      assert.equal((await nodeB.users.lookup('shared.user@EXAMPLE.org'))?.username, 'shared.user@example.org');
      assert.equal(await nodeB.users.verifyPassword('shared.user@example.org', 'first-password'), true);
      await nodeB.users.setPassword('shared.user@example.org', 'second-password');
      assert.equal(await nodeA.users.verifyPassword('shared.user@example.org', 'first-password'), false);
      assert.equal(await nodeA.users.verifyPassword('shared.user@example.org', 'second-password'), true);
      await nodeA.users.remove('shared.user@example.org');
      assert.equal(await nodeB.users.verifyPassword('shared.user@example.org', 'second-password'), false);
    });

    it('keeps the domain list, its configured domains and its rules on every node', async () => {
      assert.deepEqual(await nodeB.domains.list(), ['configured.test', 'example.org']);
      await nodeA.domains.add('New.Example');
      assert.equal(await nodeB.domains.contains('NEW.example'), true);
      await assert.rejects(nodeB.domains.add('new.example'), DomainExistsError);
      await nodeB.users.add('one@new.example', 'pw-one-1234');
      await assert.rejects(nodeA.domains.remove('new.example'), (err: unknown) => err instanceof DomainInUseError && /still has 1 user/.test(err.message));
      await nodeA.users.remove('one@new.example');
      await nodeA.domains.remove('new.example');
      await assert.rejects(nodeB.domains.remove('new.example'), UnknownDomainError);
      await assert.rejects(nodeB.users.add('two@new.example', 'pw-two-1234'), /not in the domain list/);
      await assert.rejects(nodeA.domains.remove('configured.test'), /domainlist\.xml \(<domainnames>\)/);
    });

    it('stores internationalised domains in ASCII and lists in byte order whatever the locale', async () => {
      await nodeA.domains.add('Bücher.example');
      await nodeA.domains.add('Zeta.example');
      await nodeA.domains.add('alpha.example');
      await nodeA.users.add('leser@bücher.example', 'pw-leser-1');
      assert.equal((await nodeB.users.lookup('LESER@BÜCHER.example'))?.username, 'leser@xn--bcher-kva.example');
      const listed = await nodeB.domains.list();
      assert.deepEqual(listed, [...listed].sort());
    });

    it('upgrades a cheap legacy hash on login, on whichever node verifies it', async () => {
      await nodeA.users.add('legacy@example.org', 'placeholder');
      const cheap = await hashPassword('legacy-pw', { N: 1024, r: 8, p: 1 });
      const c = new pg.Client({ connectionString: ctx.db.url });
      await c.connect();
      try {
        await c.query(`UPDATE ${ctx.db.schema}.users SET password_hash = $1 WHERE username = $2`, [cheap, 'legacy@example.org']);
        assert.equal(await nodeB.users.verifyPassword('legacy@example.org', 'legacy-pw'), true);
        const row = (await c.query(`SELECT password_hash FROM ${ctx.db.schema}.users WHERE username = $1`, ['legacy@example.org'])).rows[0] as {
          password_hash: string;
        };
        assert.match(row.password_hash, /^\$scrypt\$N=32768,/);
        assert.equal(row.password_hash.includes('legacy-pw'), false);
      } finally {
        await c.end();
      }
      assert.equal(await nodeA.users.verifyPassword('legacy@example.org', 'legacy-pw'), true);
    });

    it('rewrites (aliases, forwards) written on one node route on the other, in insertion order', async () => {
      await nodeA.rewrites.add('alias', 'sales@example.org', 'bob@example.org');
      await nodeA.rewrites.add('alias', 'sales@example.org', 'bob@example.org');
      await nodeA.rewrites.add('forward', 'bob@example.org', 'z@remote.example');
      await nodeA.rewrites.add('forward', 'bob@example.org', 'a@remote.example');
      assert.deepEqual(await nodeB.rewrites.targetsOf('alias', 'sales@example.org'), ['bob@example.org']);
      assert.deepEqual(await nodeB.rewrites.sourcesOf('alias', 'bob@example.org'), ['sales@example.org']);
      assert.deepEqual((await nodeB.rewrites.targetsOf('forward', 'bob@example.org')).sort(), ['a@remote.example', 'z@remote.example']);
      assert.deepEqual(await nodeB.rewrites.list('alias'), [{ source: 'sales@example.org', target: 'bob@example.org' }]);
      await nodeB.rewrites.remove('alias', 'sales@example.org', 'bob@example.org');
      assert.deepEqual(await nodeA.rewrites.targetsOf('alias', 'sales@example.org'), []);
    });

    it('an app password made on one node logs in on the other and its revocation applies there', async () => {
      await nodeA.users.add('app.user@example.org', 'account-password');
      const onA = new AppPasswordService({ store: nodeA.appPasswords, users: nodeA.users });
      const onB = new AppPasswordService({ store: nodeB.appPasswords, users: nodeB.users });
      const created = await onA.create('app.user@example.org', { name: 'Phone', scopes: ['imap'] });
      const accepted = await onB.verify('APP.USER@example.org', created.secret, 'imap', '192.0.2.7');
      assert.equal(accepted.kind, 'accepted');
      assert.equal((await onB.verify('app.user@example.org', created.secret, 'smtp', '192.0.2.7')).kind, 'refused');
      const [listed] = await onA.list('app.user@example.org');
      assert.equal(listed?.lastUsedIp, '192.0.2.7');
      assert.equal(await onB.rename('app.user@example.org', created.record.id, 'Old phone'), true);
      assert.equal((await onA.list('app.user@example.org'))[0]?.name, 'Old phone');
      assert.equal((await onB.revoke('app.user@example.org', created.record.id))?.id, created.record.id);
      assert.equal((await onA.verify('app.user@example.org', created.secret, 'imap', '192.0.2.7')).kind, 'none');
    });

    it('keeps markers across nodes', async () => {
      await nodeA.setMarker('test-marker', 'yes');
      assert.equal(await nodeB.getMarker('test-marker'), 'yes');
      await nodeB.setMarker('test-marker', 'again');
      assert.equal(await nodeA.getMarker('test-marker'), 'again');
      assert.equal(await nodeA.getMarker('absent'), undefined);
    });

    it('answers "unavailable" (not "wrong password") once its database is closed', async () => {
      const extra = await openOn(ctx.db, vhOn);
      await extra.close();
      await assert.rejects(extra.users.verifyPassword('x@example.org', 'y'), { name: 'UsersRepositoryUnavailableError' });
    });
  });

  describe('users database losing its connection', () => {
    it('a transaction whose backend is terminated fails as "unavailable", the process lives on, and the next one gets a new connection', async () => {
      const db = await createTestSchema();
      const users = await UsersPg.open({ url: db.url, schema: db.schema, poolSize: 2 });
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        await assert.rejects(
          users.transaction(async (c) => {
            const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
            await admin.query('SELECT pg_terminate_backend($1)', [pid]);
            await c.query('SELECT 1');
          }),
          { name: 'UsersRepositoryUnavailableError' },
        );
        const after = await users.transaction(async (c) => (await c.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one);
        assert.equal(after, 1);
      } finally {
        await admin.end();
        await users.close();
        await db.drop();
      }
    });
  });

  describe('users database on an unreachable PostgreSQL', () => {
    it('fails to open with UsersRepositoryUnavailableError naming no URL', async () => {
      await assert.rejects(
        createPostgresUsersRepository({ url: 'postgres://someone:s3cret@127.0.0.1:1/nowhere' }, vhOn, domainsCfg, silentLogger()),
        (err: unknown) => err instanceof Error && err.name === 'UsersRepositoryUnavailableError' && !err.message.includes('s3cret'),
      );
    });
  });
}
