import { canConnect } from '../support/tcp.js';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import type { ProtocolFactory } from '../../src/server/context.js';
import { sharedResource } from '../../src/server/resources.js';
import { StartupError } from '../../src/server/errors.js';
import { ConfigError } from '../../src/config/errors.js';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { silentLogger } from '../../src/log/logger.js';
import { CapturedOutput } from './capture.js';
import { makeTestConf, type TestConf } from './conf-fixture.js';
import { TcpTestServer } from './tcp-fixture.js';
import { protocolFactories } from '../../src/server/protocols.js';

const confs: TestConf[] = [];
after(async () => {
  await Promise.all(confs.map((c) => c.dispose()));
});
async function conf(options: Parameters<typeof makeTestConf>[0] = {}): Promise<TestConf> {
  const c = await makeTestConf(options);
  confs.push(c);
  return c;
}

async function serve(c: TestConf, factories: ProtocolFactory[], logLevel?: 'debug' | 'warn') {
  const stdout = new CapturedOutput();
  const log = new CapturedOutput();
  const running = await runServe({
    confDir: c.confDir,
    factories,
    ...(logLevel ? { logLevel } : {}),
    io: { stdout, logDestination: log, env: {} },
  });
  return { running, stdout, log };
}

/** Reads the greeting of a TCP listener, proving it accepts connections. */
async function greeting(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const [data] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return data.toString();
}

/** Nothing accepts connections on the port (the server is down). */
const refused = async (port: number): Promise<boolean> => !(await canConnect(port));

describe('tessera serve lifecycle', () => {
  it('starts every factory’s servers, prints where they listen and the data dir, and stops them', async () => {
    const c = await conf();
    const a = new TcpTestServer('test-a');
    const b = new TcpTestServer('test-b');
    const { running, stdout } = await serve(c, [() => [a], () => [b]]);
    assert.match(await greeting(a.boundPort), /test-a ready/);
    assert.match(await greeting(b.boundPort), /test-b ready/);
    const banner = stdout.text();
    assert.match(banner, new RegExp(`test-a\\s+tcp://127\\.0\\.0\\.1:${a.boundPort}`));
    assert.match(banner, new RegExp(`test-b\\s+tcp://127\\.0\\.0\\.1:${b.boundPort}`));
    assert.ok(banner.includes(c.dataDir), banner);
    const portA = a.boundPort;
    await running.stop();
    assert.equal(a.stopped && b.stopped, true);
    assert.equal(await refused(portA), true);
  });

  it('gives protocol servers a stop deadline of shutdown.timeout seconds, and lets a connected client finish', async () => {
    const c = await conf({ shutdownTimeout: 3 });
    const server = new TcpTestServer('test-deadline');
    const { running } = await serve(c, [() => [server]]);
    const client = connect(server.boundPort, '127.0.0.1');
    await once(client, 'data');
    const before = Date.now();
    const ended = once(client, 'end');
    await running.stop();
    await ended;
    const deadline = server.stopDeadlines[0]!.getTime();
    assert.ok(deadline >= before + 3000 - 50 && deadline <= Date.now() + 3000, `deadline ${deadline - before} ms after stop`);
    client.destroy();
  });

  it('stop is idempotent', async () => {
    const c = await conf();
    const server = new TcpTestServer('test-twice');
    const { running } = await serve(c, [() => [server]]);
    await Promise.all([running.stop(), running.stop()]);
    await running.stop();
    assert.equal(server.stopDeadlines.length, 1);
  });

  it('refuses to start when a listener cannot bind, naming the address, and stops those already started', async () => {
    const c = await conf();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busyPort = (blocker.address() as { port: number }).port;
    const first = new TcpTestServer('test-first');
    const clash = new TcpTestServer('test-clash', '127.0.0.1', busyPort);
    const log = new CapturedOutput();
    try {
      await assert.rejects(
        runServe({ confDir: c.confDir, factories: [() => [first, clash]], io: { stdout: new CapturedOutput(), logDestination: log, env: {} } }),
        (err: unknown) => {
          assert.ok(err instanceof StartupError);
          assert.match(err.message, new RegExp(`test-clash could not start: .*127\\.0\\.0\\.1:${busyPort}`));
          return true;
        },
      );
      assert.equal(first.stopped, true, 'the server that did start was stopped');
      // The users database was closed too: a fresh start on the same data works.
      const again = await serve(c, []);
      await again.running.stop();
    } finally {
      blocker.close();
    }
  });

  it('fails with the loader’s ConfigError before opening any port', async () => {
    const c = await conf({ imapBlocks: '<imapserver enabled="true"><bind>127.0.0.1:99999</bind></imapserver>' });
    let factoryCalled = false;
    await assert.rejects(
      runServe({
        confDir: c.confDir,
        factories: [() => ((factoryCalled = true), [])],
        io: { stdout: new CapturedOutput(), logDestination: new CapturedOutput(), env: {} },
      }),
      ConfigError,
    );
    assert.equal(factoryCalled, false);
    await assert.rejects(stat(c.dataDir), /ENOENT/, 'nothing written before the configuration is valid');
  });

  it('creates one instance of a shared resource for all protocols and closes it after they stopped', async () => {
    const c = await conf();
    const events: string[] = [];
    let created = 0;
    const store = sharedResource(
      'test-store',
      () => ({ id: ++created }),
      () => {
        events.push('store closed');
      },
    );
    const seen: number[] = [];
    const factory: ProtocolFactory = async (ctx) => {
      seen.push((await ctx.use(store)).id);
      const server = new TcpTestServer(`test-shared-${seen.length}`);
      const stop = server.stop.bind(server);
      server.stop = async (deadline) => {
        await stop(deadline);
        events.push(`${server.name} stopped`);
      };
      return [server];
    };
    const { running } = await serve(c, [factory, factory]);
    assert.deepEqual(seen, [1, 1]);
    await running.stop();
    assert.equal(created, 1);
    assert.equal(events.at(-1), 'store closed');
    assert.equal(events.length, 3);
  });

  it('passes config, users and domains to the factories', async () => {
    const c = await conf({ domains: ['ctx.test'] });
    let running: RunningServer | undefined;
    const factory: ProtocolFactory = async (ctx) => {
      assert.equal(ctx.config.confDir, c.confDir);
      assert.equal(ctx.dataDir, c.dataDir);
      assert.equal(await ctx.domains.contains('ctx.test'), true);
      assert.equal(ctx.users.virtualHosting, true);
      return [];
    };
    ({ running } = await serve(c, [factory]));
    await running.stop();
  });

  it('logs at the level given on the command line rather than the configured one', async () => {
    const c = await conf({ logLevel: 'info' });
    const quiet = await serve(c, [], 'warn');
    await quiet.running.stop();
    assert.equal(quiet.log.records().filter((r) => (r.level as number) < 40).length, 0);
    const chatty = await serve(c, []);
    await chatty.running.stop();
    assert.ok(chatty.log.records().some((r) => r.msg === 'tessera started'));
  });
});

describe('tessera serve first start', () => {
  it('creates the demo user once, printing its password on stdout and never in the log', async () => {
    const c = await conf({ seedDemoUser: true, domains: ['demo.test'] });
    const first = await serve(c, []);
    await first.running.stop();
    const match = /demo user (\S+) with password: (\S+)/.exec(first.stdout.text());
    assert.ok(match, first.stdout.text());
    const [, username, password] = match;
    assert.equal(username, 'demo@demo.test');
    assert.equal(first.log.text().includes(password!), false);
    assert.ok(first.log.records().some((r) => r.user === 'demo@demo.test'));

    const second = await serve(c, []);
    await second.running.stop();
    assert.equal(/demo user/.test(second.stdout.text()), false, 'printed only on the first start');

    const embedded = await createEmbeddedUsersRepository(
      c.dataDir,
      { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
      { domainnames: [], defaultDomain: 'demo.test' },
      silentLogger(),
    );
    try {
      assert.equal(await embedded.users.verifyPassword(username!, password!), true);
      // Even with every user gone, a restart does not create (and print) a new demo account.
      await embedded.users.remove(username!);
    } finally {
      await embedded.close();
    }
    const third = await serve(c, []);
    await third.running.stop();
    assert.equal(/demo user/.test(third.stdout.text()), false);
  });

  it('a start that cannot bind a listener creates no demo user: the next start shows the password', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busyPort = (blocker.address() as { port: number }).port;
    const c = await conf({
      seedDemoUser: true,
      domains: ['demo.test'],
      imapBlocks: `<imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:${busyPort}</bind>
        <tls socketTLS="false" startTLS="false"/></imapserver>`,
    });
    const failed = new CapturedOutput();
    try {
      await assert.rejects(
        runServe({ confDir: c.confDir, factories: protocolFactories, io: { stdout: failed, logDestination: new CapturedOutput(), env: {} } }),
        (err: unknown) => err instanceof StartupError && err.message.includes(`127.0.0.1:${busyPort}`),
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    assert.equal(/password/.test(failed.text()), false, 'no password shown by a start that failed');
    const embedded = await createEmbeddedUsersRepository(
      c.dataDir,
      { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
      { domainnames: [], defaultDomain: 'demo.test' },
      silentLogger(),
    );
    try {
      assert.deepEqual(await embedded.users.list(), [], 'the failed start created no user');
    } finally {
      await embedded.close();
    }

    // The port is free now: this start succeeds, and it is the one that shows the password.
    const next = await serve(c, protocolFactories);
    await next.running.stop();
    const match = /demo user (\S+) with password: (\S+)/.exec(next.stdout.text());
    assert.ok(match, next.stdout.text());
    const reopened = await createEmbeddedUsersRepository(
      c.dataDir,
      { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
      { domainnames: [], defaultDomain: 'demo.test' },
      silentLogger(),
    );
    try {
      assert.equal(await reopened.users.verifyPassword(match[1]!, match[2]!), true);
    } finally {
      await reopened.close();
    }
  });

  it('creates a bare "demo" user without virtual hosting', async () => {
    const c = await conf({ seedDemoUser: true, virtualHosting: false });
    const { running, stdout } = await serve(c, []);
    await running.stop();
    assert.match(stdout.text(), /demo user demo with password: \S+/);
  });

  it('does not create a demo user when users already exist or seeding is off', async () => {
    const off = await conf({ seedDemoUser: false });
    const a = await serve(off, []);
    await a.running.stop();
    assert.equal(/demo user/.test(a.stdout.text()), false);

    const populated = await conf({ seedDemoUser: true, domains: ['pre.test'] });
    const embedded = await createEmbeddedUsersRepository(
      populated.dataDir,
      { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
      { domainnames: ['pre.test'], defaultDomain: 'pre.test' },
      silentLogger(),
    );
    await embedded.users.add('early@pre.test', 'made-with-the-cli');
    await embedded.close();
    const b = await serve(populated, []);
    await b.running.stop();
    assert.equal(/demo user/.test(b.stdout.text()), false);
  });

  it('generates a self-signed certificate for TLS listeners without material, and reuses it', async () => {
    const c = await conf({
      imapBlocks: `<imapserver enabled="true"><jmxName>imap</jmxName><bind>127.0.0.1:0</bind>
        <helloName>mail.example.test</helloName><tls socketTLS="false" startTLS="true"/></imapserver>`,
    });
    let seenKey: Buffer | undefined;
    const factory: ProtocolFactory = (ctx) => {
      seenKey = ctx.config.imap[0]!.tls.key;
      return [];
    };
    const first = await serve(c, [factory]);
    await first.running.stop();
    const certPath = `${c.dataDir}/tls/self-signed.crt`;
    const keyPath = `${c.dataDir}/tls/self-signed.key`;
    assert.ok(first.log.records().some((r) => r.msg === `generated self-signed certificate at ${certPath}`));
    assert.ok(first.stdout.text().includes(certPath), 'the banner names the certificate');
    const pem = await readFile(certPath);
    assert.deepEqual(seenKey, await readFile(keyPath));
    assert.equal((await stat(keyPath)).mode & 0o077, 0, 'the private key is readable by its owner only');
    const x509 = new X509Certificate(pem);
    assert.match(x509.subject, /CN=mail\.example\.test/);
    for (const name of ['DNS:mail.example.test', 'DNS:localhost', 'IP Address:127.0.0.1']) {
      assert.ok(x509.subjectAltName?.includes(name), `${name} in ${x509.subjectAltName}`);
    }

    const second = await serve(c, [factory]);
    await second.running.stop();
    assert.deepEqual(await readFile(certPath), pem, 'the same certificate across restarts');
    assert.ok(!second.log.records().some((r) => String(r.msg).startsWith('generated')));
  });

  it('generates no certificate when no listener needs one', async () => {
    const c = await conf({
      imapBlocks: '<imapserver enabled="true"><bind>127.0.0.1:0</bind><tls socketTLS="false" startTLS="false"/></imapserver>',
    });
    const { running } = await serve(c, []);
    await running.stop();
    await assert.rejects(stat(`${c.dataDir}/tls/self-signed.crt`), /ENOENT/);
  });
});
