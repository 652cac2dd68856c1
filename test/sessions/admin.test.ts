import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { sessionsCommand } from '../../src/cli/commands/sessions.js';
import { UsageError } from '../../src/cli/errors.js';
import type { CliIO } from '../../src/cli/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { AdminSocketInUseError, AdminSocketPathError, adminSocketPath, createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import { ADMIN_REVOKE_REASON } from '../../src/sessions/admin-socket.js';
import { FakeSession, openStore, register, afterPendingRevocations, tempDir, tokenPrincipal, within } from './helpers.js';
import type { MailStore } from '../../src/store/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';

function cliIO(): { io: CliIO; out(): string; err(): string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: CliIO = {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    stdin: new PassThrough(),
    env: {},
  };
  return { io, out: () => out, err: () => err };
}

/** One raw exchange on the admin socket. */
function rawRequest(path: string, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        socket.destroy();
        resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      }
    });
    socket.on('error', reject);
  });
}

describe('admin socket and `tessera sessions`', () => {
  let root: { dir: string; dispose(): Promise<void> };
  let confDir: string;
  let dataDir: string;
  let bus: MemoryEventBus;
  let control: SessionControl;
  let store: MailStore;

  const cli = async (...argv: string[]) => {
    const c = cliIO();
    const code = await sessionsCommand.run([...argv, '--conf', confDir], c.io);
    return { code, out: c.out(), err: c.err() };
  };

  before(async () => {
    root = await tempDir();
    confDir = join(root.dir, 'conf');
    dataDir = join(root.dir, 'var');
    await mkdir(confDir);
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(join(confDir, 'tessera.properties'), `data.dir=${dataDir}\n`);
    // A socket file left behind by a crashed server must not prevent a start.
    await writeFile(adminSocketPath(dataDir), '');
    bus = new MemoryEventBus();
    store = await openStore(dataDir);
    const users = new MemoryUsersRepository(
      Object.fromEntries(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'fay', 'gus', 'hal'].map((n) => [`${n}@example.test`, 'a-password-1'])),
    );
    control = createSessionControl({ dataDir, store, bus, logger: silentLogger(), oidc: [], users });
    await control.start();
  });

  after(async () => {
    await control.stop();
    await store.close();
    await bus.close();
    await root.dispose();
  });

  it('listens on <dataDir>/admin.sock with mode 0600', async () => {
    const info = await stat(adminSocketPath(dataDir));
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o600);
  });

  it('refuses to start a second server on the same data directory', async () => {
    const second = createSessionControl({ dataDir, store, bus: new MemoryEventBus(), logger: silentLogger(), oidc: [] });
    await assert.rejects(second.start(), AdminSocketInUseError);
    await second.stop();
    assert.equal((await cli('list')).code, 0, 'the first server still answers');
  });

  it('names the fix when the data directory path is too long for a Unix socket', async () => {
    const longDir = join(root.dir, 'd'.repeat(120));
    const c = createSessionControl({ dataDir: longDir, store, bus: new MemoryEventBus(), logger: silentLogger(), oidc: [] });
    await assert.rejects(c.start(), (err: unknown) => err instanceof AdminSocketPathError && /data\.dir/.test(err.message));
    await c.stop();
  });

  it('lists live sessions, never their tokens', async () => {
    const a = register(control, new FakeSession(tokenPrincipal({ user: 'alice@example.test', sid: 'sid-a', accessToken: 'SECRET-TOKEN-VALUE' }), 'imap'));
    const b = register(control, new FakeSession({ user: 'bob@example.test', mechanism: 'PLAIN' }, 'smtp'));
    const table = await cli('list');
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /alice@example\.test/);
    assert.match(table.out, /bob@example\.test/);
    assert.match(table.out, /sid-a/);
    const json = await cli('list', '--json');
    const rows = json.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set([a.handle.id, b.handle.id]));
    assert.ok(!table.out.includes('SECRET-TOKEN') && !json.out.includes('SECRET-TOKEN'));
    a.handle.unregister();
    b.handle.unregister();
  });

  it('revoke --user ends every session of the user within one second', async () => {
    const a1 = register(control, new FakeSession({ user: 'carol@example.test', mechanism: 'PLAIN' }, 'imap'));
    const a2 = register(control, new FakeSession(tokenPrincipal({ user: 'carol@example.test', sid: 's-c' }), 'jmap'));
    const other = register(control, new FakeSession({ user: 'dave@example.test', mechanism: 'PLAIN' }, 'imap'));
    const res = await cli('revoke', '--user', 'carol@example.test');
    assert.equal(res.code, 0, res.err);
    assert.match(res.err, /2 live sessions ended/);
    assert.equal(await within(1000, a1.ended, 'password session'), ADMIN_REVOKE_REASON);
    await within(1000, a2.ended, 'token session');
    await afterPendingRevocations(control);
    assert.equal(other.terminated, false);
    other.handle.unregister();
  });

  it('revoke --user names the user as the users repository does, and refuses a name that is nobody', async () => {
    const s = register(control, new FakeSession({ user: 'frank@example.test', mechanism: 'PLAIN' }, 'imap'));
    const res = await cli('revoke', '--user', 'Frank@EXAMPLE.test');
    assert.equal(res.code, 0, res.err);
    assert.match(res.err, /^revoked user frank@example\.test: 1 live session ended\n$/);
    await within(1000, s.ended, 'the session of the canonical user');

    const nobody = await cli('revoke', '--user', 'nobody@example.test');
    assert.equal(nobody.code, 1);
    assert.equal(nobody.out, '');
    assert.match(nobody.err, /^tessera: the server refused: no such user: nobody@example\.test .*nothing was revoked\n$/);
    await afterPendingRevocations(control);
    assert.equal(await control.isRevoked(tokenPrincipal({ user: 'nobody@example.test', sid: 's-n' })), false, 'nothing recorded for nobody');
  });

  it('revoke --sid ends that OP session and refuses its tokens afterwards, with the given reason', async () => {
    const principal = tokenPrincipal({ user: 'erin@example.test', sid: 'sid-erin', issuer: 'https://idp.test' });
    const s = register(control, new FakeSession(principal, 'smtp'));
    const res = await cli('revoke', '--sid', 'sid-erin', '--reason', 'Compromised device');
    assert.equal(res.code, 0, res.err);
    assert.equal(await within(1000, s.ended, 'sid session'), 'Compromised device');
    assert.equal(await control.isRevoked(principal), true);
  });

  it('a revoke naming user and actor ends only the sessions in which the actor acts as the user, and refuses nothing later', async () => {
    const delegated = register(control, new FakeSession({ user: 'fay@example.test', mechanism: 'PLAIN', actor: 'gus@example.test' }));
    const own = register(control, new FakeSession(tokenPrincipal({ user: 'fay@example.test', jti: 'fay-token', issuer: 'https://idp.test' })));
    const other = register(control, new FakeSession({ user: 'fay@example.test', mechanism: 'PLAIN', actor: 'hal@example.test' }));
    const reply = await rawRequest(adminSocketPath(dataDir), '{"op":"revoke","user":"Fay@example.test","actor":"gus@example.test"}');
    assert.deepEqual(reply, { ok: true, matched: 1, user: 'fay@example.test' });
    assert.equal(await within(1000, delegated.ended, 'delegated session'), 'Delegation revoked');
    await afterPendingRevocations(control);
    assert.equal(own.terminated, false);
    assert.equal(other.terminated, false);
    assert.equal(await control.isRevoked(own.principal), false, "fay's own tokens stay good");
    assert.equal((await rawRequest(adminSocketPath(dataDir), '{"op":"revoke","sid":"x","actor":"gus@example.test"}')).ok, false, 'actor goes with user only');
    own.handle.unregister();
    other.handle.unregister();
  });

  it('rejects malformed command lines and admin requests', async () => {
    await assert.rejects(cli('revoke'), UsageError);
    await assert.rejects(cli('revoke', '--user', 'a', '--sid', 'b'), UsageError);
    await assert.rejects(cli('list', '--user', 'a'), UsageError);
    await assert.rejects(cli('purge'), UsageError);
    const path = adminSocketPath(dataDir);
    assert.deepEqual(await rawRequest(path, '{"op":"dance"}'), { ok: false, error: 'unknown op "dance"' });
    assert.equal((await rawRequest(path, 'not json')).ok, false);
    assert.equal((await rawRequest(path, '{"op":"revoke"}')).ok, false, 'a revoke naming nobody is refused');
  });

  it('says clearly when the server is not running', async () => {
    const otherRoot = await tempDir();
    try {
      const conf = join(otherRoot.dir, 'conf');
      await mkdir(conf);
      await writeFile(join(conf, 'tessera.properties'), `data.dir=${join(otherRoot.dir, 'var')}\n`);
      const c = cliIO();
      const code = await sessionsCommand.run(['list', '--conf', conf], c.io);
      assert.equal(code, 1);
      assert.match(c.err(), /server is not running/);
    } finally {
      await otherRoot.dispose();
    }
  });
});
