// One server per data directory: a second `tessera serve` on the same directory refuses on one
// line naming the directory and the running server's PID, and writes nothing; the CLI commands
// built to work beside a server still do; a killed server leaves no lock behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runServe } from '../../src/server/serve.js';
import { StartupError } from '../../src/server/errors.js';
import { CapturedOutput } from './capture.js';
import { makeTestConf, type TestConf } from './conf-fixture.js';
import { runTessera, spawnTessera } from '../cli/run-tessera.js';
import { withDeadline } from '../support/wait.js';

const confs: TestConf[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await Promise.all(confs.map((c) => c.dispose()));
});

const PLAIN_IMAP = `<imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
  <tls socketTLS="false" startTLS="false"/><auth><requireSSL>false</requireSSL></auth></imapserver>`;

async function conf(): Promise<TestConf> {
  const c = await makeTestConf({ seedDemoUser: true, imapBlocks: PLAIN_IMAP });
  confs.push(c);
  return c;
}

/** Starts `tessera serve` as a child process and resolves once its banner is out. */
async function startServer(c: TestConf): Promise<{ child: ChildProcess; stdout: () => string }> {
  const child = spawnTessera(['serve', '--conf', c.confDir]);
  children.push(child);
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('Stop with Ctrl-C or SIGTERM.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before its banner:\n${stdout}\n${stderr}`)));
  });
  await withDeadline(ready, 60_000, 'the start-up banner');
  return { child, stdout: () => stdout };
}

/**
 * Every file under the data directory with its size and modification time, except the search
 * index, which the running server's background indexer builds whenever it gets to it.
 */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('search.sqlite')) continue;
    const path = join(entry.parentPath, entry.name);
    const s = await stat(path);
    out.set(relative(dir, path), `${s.size}@${s.mtimeMs}`);
  }
  return out;
}

describe('one server per data directory', () => {
  it('refuses a second server on one line naming the directory and the first PID, and writes nothing', async () => {
    const c = await conf();
    const first = await startServer(c);
    const before = await snapshot(c.dataDir);

    const second = await runTessera(['serve', '--conf', c.confDir]);
    assert.equal(second.code, 1, second.stderr);
    assert.equal(second.stdout, '', 'no banner, no demo password');
    const lines = second.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line, no stack trace:\n${second.stderr}`);
    assert.match(lines[0]!, /^tessera: the data directory \S+ is in use by another tessera server \(PID \d+,/);
    assert.ok(lines[0]!.includes(c.dataDir), lines[0]);
    assert.ok(lines[0]!.includes(`PID ${first.child.pid},`), `names the running server's PID ${first.child.pid}: ${lines[0]}`);
    assert.deepEqual(await snapshot(c.dataDir), before, 'the refused server wrote nothing under the data directory');

    // The commands made to run beside a server are not locked out.
    const add = await runTessera(['user', 'add', 'bob@example.test', '--conf', c.confDir], { input: 'bob secret\n' });
    assert.equal(add.code, 0, add.stderr);
    const list = await runTessera(['user', 'list', '--conf', c.confDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^bob@example\.test$/m);
    const mbox = join(c.root, 'in.mbox');
    await writeFile(mbox, 'From someone@example.org Mon Jan  2 10:00:00 2023\nSubject: beside the server\n\nhello\n');
    const imported = await runTessera(['import', '--user', 'bob@example.test', mbox, '--conf', c.confDir]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported 1 message into bob@example\.test/);

    first.child.kill('SIGTERM');
    const [code] = (await once(first.child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('a server killed with SIGKILL leaves no lock: the next one starts', async () => {
    const c = await conf();
    const first = await startServer(c);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const next = await startServer(c);
    assert.match(next.stdout(), /Tessera \S+ is running/);
    next.child.kill('SIGTERM');
    const [code] = (await once(next.child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('holds in-process too, and is released by stop()', async () => {
    const c = await conf();
    const io = { stdout: new CapturedOutput(), logDestination: new CapturedOutput(), env: {} };
    const running = await runServe({ confDir: c.confDir, factories: [], io });
    await assert.rejects(
      runServe({ confDir: c.confDir, factories: [], io: { ...io, stdout: new CapturedOutput() } }),
      (err: unknown) => err instanceof StartupError && err.message.includes(`data directory ${c.dataDir} is in use`),
    );
    await running.stop();
    const again = await runServe({ confDir: c.confDir, factories: [], io });
    await again.stop();
  });
});
