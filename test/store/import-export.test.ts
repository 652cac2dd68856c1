// `tessera import` / `tessera export` against a real conf directory and data directory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { mailboxImportCommand } from '../../src/cli/commands/mailbox-import.js';
import { mailboxExportCommand } from '../../src/cli/commands/mailbox-export.js';
import type { CliIO } from '../../src/cli/types.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { storeDirectory } from '../../src/store/directory.js';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { runServe } from '../../src/server/serve.js';
import { storeResource } from '../../src/server/protocols.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

function io(env: NodeJS.ProcessEnv): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env }, out: () => o, err: () => e };
}

/** A conf dir whose users repository holds `users` (virtual hosting on, domain example.org, unless `bare`). */
async function confWithUsers(root: string, users: string[], bare = false): Promise<{ conf: string; env: NodeJS.ProcessEnv }> {
  const conf = path.join(root, 'conf');
  await mkdir(conf);
  await writeFile(path.join(conf, 'domainlist.xml'), '<domainlist><domainnames><domainname>example.org</domainname></domainnames><defaultDomain>example.org</defaultDomain></domainlist>\n');
  await writeFile(path.join(conf, 'usersrepository.xml'), `<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>${!bare}</enableVirtualHosting></usersrepository>\n`);
  const dataDir = path.join(root, 'data');
  const embedded = await createEmbeddedUsersRepository(
    dataDir,
    { kind: 'embedded', enableVirtualHosting: !bare, algorithm: 'scrypt' },
    { domainnames: ['example.org'], defaultDomain: 'example.org' },
    silentLogger(),
  );
  for (const u of users) await embedded.users.add(u, 'a-password-1');
  await embedded.close();
  return { conf, env: { TESSERA_DATA_DIR: dataDir } };
}

const MBOX = [
  'From alice@example.org Mon Jan  2 10:00:00 2023',
  'From: alice@example.org',
  'Subject: first',
  'Status: RO',
  '',
  'Hello',
  '>From the start of a line',
  '>>From deeper',
  '',
  'From bob@example.org Tue Jan  3 11:30:00 2023',
  'From: bob@example.org',
  'Subject: second',
  'X-Status: F',
  '',
  'Second body',
  '',
  '',
].join('\n');

describe('tessera import and export', () => {
  it('imports an mbox (dates, flags, mboxrd unquoting) and exports it back identically', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-import-'));
    try {
      const { conf, env } = await confWithUsers(root, ['u@example.org']);
      const mbox = path.join(root, 'in.mbox');
      await writeFile(mbox, MBOX);
      const imp = io(env);
      // The name as typed is looked up: the canonical account receives the mail.
      const code = await mailboxImportCommand.run(['--conf', conf, '--user', 'U@Example.org', '--mailbox', 'Old/Mail', mbox], imp.io);
      assert.equal(code, 0, imp.err());
      assert.match(imp.out(), /imported 2 messages/);

      const store = await openSqliteStore({ dataDir: storeDirectory(env.TESSERA_DATA_DIR!), events: new MemoryEventBus() });
      try {
        const mb = (await store.findMailboxByPath('u@example.org', 'Old/Mail'))!;
        const metas = await store.getMessages('u@example.org', mb.id, [[1, 2]]);
        assert.deepEqual(metas.map((m) => m.flags), [['\\Seen'], ['\\Flagged']]);
        assert.equal(metas[0]!.receivedAt.toISOString(), '2023-01-02T10:00:00.000Z');
        const first = (await store.readMessage('u@example.org', metas[0]!.emailId))!.toString();
        assert.equal(first, 'From: alice@example.org\r\nSubject: first\r\nStatus: RO\r\n\r\nHello\r\nFrom the start of a line\r\n>From deeper\r\n');
      } finally {
        await store.close();
      }

      const out = path.join(root, 'out.mbox');
      const exp = io(env);
      assert.equal(await mailboxExportCommand.run(['--conf', conf, '--user', 'u@example.org', '--mailbox', 'Old/Mail', out], exp.io), 0, exp.err());
      assert.equal(await readFile(out, 'utf8'), MBOX);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('imports a Maildir with flags and sub-folders', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-maildir-'));
    try {
      const { conf, env } = await confWithUsers(root, ['m'], true);
      const md = path.join(root, 'Maildir');
      for (const d of ['cur', 'new', 'tmp', '.Lists.Dev/cur', '.Lists.Dev/new']) await mkdir(path.join(md, d), { recursive: true });
      await writeFile(path.join(md, 'cur', '1.host:2,FS'), 'Subject: a\n\nA\n');
      await writeFile(path.join(md, 'new', '2.host'), 'Subject: b\n\nB\n');
      await writeFile(path.join(md, '.Lists.Dev', 'cur', '3.host:2,R'), 'Subject: c\n\nC\n');
      const imp = io(env);
      assert.equal(await mailboxImportCommand.run(['--conf', conf, '--user', 'm', md], imp.io), 0, imp.err());
      const store = await openSqliteStore({ dataDir: storeDirectory(env.TESSERA_DATA_DIR!), events: new MemoryEventBus() });
      try {
        const inbox = (await store.findMailboxByPath('m', 'INBOX'))!;
        const dev = (await store.findMailboxByPath('m', 'Lists/Dev'))!;
        assert.deepEqual((await store.snapshot('m', inbox.id)).messages.map((m) => m.flags.sort()), [['\\Flagged', '\\Seen'], []]);
        assert.deepEqual((await store.snapshot('m', dev.id)).messages.map((m) => m.flags), [['\\Answered']]);
      } finally {
        await store.close();
      }
      const bad = io(env);
      await assert.rejects(mailboxImportCommand.run(['--conf', conf, md], bad.io), /--user is required/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a user the users repository does not know, creating nothing', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-import-unknown-'));
    try {
      const { conf, env } = await confWithUsers(root, ['u@example.org']);
      const mbox = path.join(root, 'in.mbox');
      await writeFile(mbox, MBOX);
      await assert.rejects(
        mailboxImportCommand.run(['--conf', conf, '--user', 'typo@example.org', mbox], io(env).io),
        /no such user: typo@example.org/,
      );
      await assert.rejects(mailboxExportCommand.run(['--conf', conf, '--user', 'typo@example.org', '-'], io(env).io), /no such user/);
      const store = await openSqliteStore({ dataDir: storeDirectory(env.TESSERA_DATA_DIR!), events: new MemoryEventBus() });
      try {
        assert.equal(await store.getAccount('typo@example.org'), null);
      } finally {
        await store.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a file that is not an mbox: exit 1, says so, and imports or creates nothing', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-import-notmbox-'));
    try {
      const { conf, env } = await confWithUsers(root, ['u@example.org']);
      const single = path.join(root, 'message.eml');
      await writeFile(single, 'From: alice@example.org\nSubject: a lone message, no mbox separator\n\nbody\n');
      const binary = path.join(root, 'picture.png');
      await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
      for (const file of [single, binary]) {
        const run = io(env);
        const code = await mailboxImportCommand.run(['--conf', conf, '--user', 'u@example.org', '--mailbox', 'Imported', file], run.io);
        assert.equal(code, 1, run.err());
        assert.equal(run.out(), '', 'no success line');
        assert.match(run.err(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an mbox file.*nothing was imported`));
      }
      const store = await openSqliteStore({ dataDir: storeDirectory(env.TESSERA_DATA_DIR!), events: new MemoryEventBus() });
      try {
        assert.equal(await store.findMailboxByPath('u@example.org', 'Imported'), null, 'no mailbox was created');
      } finally {
        await store.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('writes into the store the server opens on the same conf', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tessera-import-server-'));
    try {
      const { conf, env } = await confWithUsers(root, ['u@example.org']);
      const mbox = path.join(root, 'in.mbox');
      await writeFile(mbox, MBOX);
      assert.equal(await mailboxImportCommand.run(['--conf', conf, '--user', 'u@example.org', mbox], io(env).io), 0);
      const running = await runServe({ confDir: conf, factories: [], io: { stdout: new PassThrough(), logDestination: new PassThrough(), env } });
      try {
        const store = await running.context.use(storeResource);
        const inbox = (await store.findMailboxByRole('u@example.org', 'inbox'))!;
        assert.equal((await store.snapshot('u@example.org', inbox.id)).messages.length, 2);
      } finally {
        await running.stop();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
