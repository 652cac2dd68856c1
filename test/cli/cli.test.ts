// The real `tessera` process: exit codes, stdin piping, and `serve` under signals. Every other
// branch of the commands is covered in-process by commands.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { runTessera, spawnTessera } from './run-tessera.js';

async function verify(c: TestConf, username: string, password: string): Promise<boolean> {
  const embedded = await createEmbeddedUsersRepository(
    c.dataDir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: [], defaultDomain: 'example.test' },
    silentLogger(),
  );
  try {
    return await embedded.users.verifyPassword(username, password);
  } finally {
    await embedded.close();
  }
}

/** Waits until `text` appears on a stream of the child, or the child exits. */
function waitFor(stream: NodeJS.ReadableStream, pattern: RegExp, sink: { text: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      sink.text += d.toString();
      if (pattern.test(sink.text)) {
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended before ${pattern}: ${sink.text}`)));
  });
}

describe('tessera process', () => {
  let c: TestConf;
  before(async () => {
    c = await makeTestConf({ domains: ['example.test'], seedDemoUser: true, shutdownTimeout: 2 });
  });
  after(() => c.dispose());

  it('exits 0 for help and 2 for an unknown command', async () => {
    const help = await runTessera(['help']);
    assert.equal(help.code, 0);
    for (const name of ['serve', 'user', 'domain', 'help']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    const unknown = await runTessera(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('reports a configuration error on one line and exits 1', async () => {
    const bad = await makeTestConf({ imapBlocks: '<imapserver enabled="true"><bind>127.0.0.1:99999</bind></imapserver>' });
    try {
      const r = await runTessera(['serve', '--conf', bad.confDir]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^tessera: .*imapserver\.xml.*99999/);
      assert.equal(r.stdout, '');
    } finally {
      await bad.dispose();
    }
  });

  it('manages a user with passwords piped on stdin', async () => {
    const add = await runTessera(['user', 'add', 'Alice@Example.test', '--conf', c.confDir], { input: 'first secret\n' });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(`${add.stdout}${add.stderr}`.includes('first secret'), false, 'the password is never echoed');
    assert.equal((await runTessera(['user', 'list', '--conf', c.confDir])).stdout, 'alice@example.test\n');
    const passwd = await runTessera(['user', 'passwd', 'alice@example.test', '--conf', c.confDir], { input: 'second secret\r\n' });
    assert.equal(passwd.code, 0, passwd.stderr);
    assert.equal(await verify(c, 'alice@example.test', 'second secret'), true);
    assert.equal(await verify(c, 'alice@example.test', 'first secret'), false);
    const remove = await runTessera(['user', 'remove', 'ALICE@example.test', '--conf', c.confDir]);
    assert.equal(remove.code, 0, remove.stderr);
    const again = await runTessera(['user', 'remove', 'alice@example.test', '--conf', c.confDir]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'tessera: user alice@example.test does not exist\n');
  });

  it('serve prints the demo password once and its banner, logs JSON on stderr, and exits 0 on SIGTERM', async () => {
    const child = spawnTessera(['serve', '--conf', c.confDir]);
    child.stdin!.end();
    const out = { text: '' };
    const err = { text: '' };
    child.stderr!.on('data', (d: Buffer) => (err.text += d.toString()));
    const exited = once(child, 'exit');
    await waitFor(child.stdout!, /Stop with Ctrl-C or SIGTERM/, out);
    const password = /demo user demo@example\.test with password: (\S+)/.exec(out.text)?.[1];
    assert.ok(password, out.text);
    assert.match(out.text, /Tessera \S+ is running/);
    assert.ok(out.text.includes(c.dataDir), out.text);
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, err.text);
    const records = err.text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    assert.ok(records.some((r) => r.msg === 'signal received, shutting down'));
    assert.equal(records.at(-1)?.msg, 'stopped');
    assert.equal(err.text.includes(password), false, 'the demo password is not logged');
    assert.equal(await verify(c, 'demo@example.test', password), true);
  });

  it('serve does not print the demo password again, and stops on SIGINT too', async () => {
    const child = spawnTessera(['serve', '--conf', c.confDir, '--log-level', 'warn']);
    child.stdin!.end();
    const out = { text: '' };
    const exited = once(child, 'exit');
    await waitFor(child.stdout!, /Stop with Ctrl-C or SIGTERM/, out);
    assert.equal(/demo user/.test(out.text), false);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  });

  it('serve exits 1 naming the path when the data directory is unusable', async () => {
    const broken = await makeTestConf();
    try {
      await writeFile(join(broken.root, 'var'), 'a file where the data directory should be');
      const r = await runTessera(['serve', '--conf', broken.confDir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^tessera: cannot use the data directory \S*var: /);
    } finally {
      await broken.dispose();
    }
  });
});
