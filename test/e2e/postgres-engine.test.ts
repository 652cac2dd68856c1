// The whole server on the PostgreSQL engine: tessera.properties storage.engine=postgres with a URL
// opens the PostgreSQL store (schema migrated at start); mail appended over IMAP is searched, fetched
// byte-exact and found in the named database's rows. Skipped with a notice without PostgreSQL, a
// failure under CI=true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { createTestDatabase, dropTemplate, postgresUnavailable, type TestDatabase } from '../support/postgres.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect } from './clients.js';
import { runTessera } from '../cli/run-tessera.js';

const unavailable = await postgresUnavailable();
const ERIN = `erin@${DOMAIN}`;
const PASSWORD = 'erin-pg-secret';

describe('server on the PostgreSQL engine', { skip: unavailable ?? false }, () => {
  let idp: TestIdp;
  let conf: E2eConf;
  let db: TestDatabase;
  let srv: E2eServer;

  before(async () => {
    idp = await startTestIdp({ users: [{ email: ERIN }] });
    conf = await writeE2eConf(idp);
    db = await createTestDatabase();
    await writeFile(
      join(conf.confDir, 'tessera.properties'),
      [`data.dir=${conf.dataDir}`, 'storage.engine=postgres', `storage.postgres.url=${db.url}`, 'storage.postgres.poolSize=4', 'log.level=info', 'shutdown.timeout=2', ''].join('\n'),
    );
    srv = await startTessera(conf);
    await srv.running.context.users.add(ERIN, PASSWORD);
  });

  after(async () => {
    await srv?.running.stop();
    await idp?.close();
    await conf?.dispose();
    await db?.drop();
    await dropTemplate();
  });

  it('stores mail appended over IMAP in PostgreSQL and serves it back', async () => {
    const client = await imapConnect(srv.endpoints.imap, { user: ERIN, pass: PASSWORD });
    try {
      const bytes = Buffer.from(`From: x@${DOMAIN}\r\nTo: ${ERIN}\r\nSubject: on postgres\r\nMessage-ID: <pg1@${DOMAIN}>\r\n\r\nhello from the cluster\r\n`);
      const appended = await client.append('INBOX', bytes, ['\\Seen']);
      assert.ok(appended && typeof appended === 'object' && appended.uid === 1);
      const lock = await client.getMailboxLock('INBOX');
      try {
        const found = await client.search({ body: 'the cluster' }, { uid: true });
        assert.deepEqual(found, [1]);
        const msg = await client.fetchOne('1', { source: true, flags: true }, { uid: true });
        assert.ok(msg);
        assert.deepEqual(msg.source, bytes);
        assert.ok(msg.flags?.has('\\Seen'));
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    // The rows are in the database the configuration named.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query<{ subject: string }>("SELECT t.subject FROM email_text t JOIN email e ON e.id = t.email_id JOIN account a ON a.id = e.account_id WHERE a.name = $1", [ERIN]);
      assert.deepEqual(rows.rows.map((r) => r.subject), ['on postgres']);
    } finally {
      await c.end();
    }
  });

  it('keeps users in PostgreSQL: a user added with `tessera user add` logs in on the running server at once', async () => {
    const add = await runTessera(['user', 'add', `Frank@${DOMAIN}`, '--conf', conf.confDir], { input: 'frank-pg-secret\n' });
    assert.equal(add.code, 0, add.stderr);
    const listed = await runTessera(['user', 'list', '--conf', conf.confDir]);
    assert.deepEqual(listed.stdout.split('\n').filter(Boolean).sort(), [ERIN, `frank@${DOMAIN}`].sort());
    const client = await imapConnect(srv.endpoints.imap, { user: `frank@${DOMAIN}`, pass: 'frank-pg-secret' });
    await client.logout();
    // Nothing of the users lives on this node's disk.
    assert.equal(existsSync(join(conf.dataDir, 'users.sqlite')), false);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query<{ username: string }>('SELECT username FROM users ORDER BY username');
      assert.deepEqual(rows.rows.map((r) => r.username), [ERIN, `frank@${DOMAIN}`].sort());
    } finally {
      await c.end();
    }
  });
});
