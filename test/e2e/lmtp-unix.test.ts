// LMTP on a Unix domain socket (<unixSocket>, Tessera's key: James' LMTP has none), in the whole
// server: a Postfix-style exchange (LHLO, MAIL, two RCPTs, DATA, one reply per recipient, RSET,
// QUIT) over the socket, the message then read over IMAP; the socket file is mode 0660, a stale one
// left by a crash is replaced, a live one or a regular file at the path stops the start, and the
// file is removed on stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect } from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice-lmtp-secret', [BOB]: 'bob-lmtp-secret' };
const WAIT_MS = 10_000;
const run = promisify(execFile);

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer | undefined;
let sockDir: string;
let sock: string;

async function writeLmtpConf(): Promise<void> {
  await writeFile(
    join(conf.confDir, 'lmtpserver.xml'),
    `<lmtpservers>
    <lmtpserver enabled="true">
        <jmxName>lmtp-socket</jmxName>
        <unixSocket>${sock}</unixSocket>
        <handlerchain><handler class="org.apache.james.lmtpserver.CoreCmdHandlerLoader"/></handlerchain>
    </lmtpserver>
</lmtpservers>\n`,
  );
}

before(async () => {
  idp = await startTestIdp({ users: [] });
  conf = await writeE2eConf(idp);
  sockDir = await mkdtemp(join(tmpdir(), 'tessera-lmtp-sock-'));
  sock = join(sockDir, 'lmtp.sock');
  await writeLmtpConf();
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
  await rm(sockDir, { recursive: true, force: true });
});

/** A line-at-a-time LMTP client on the Unix socket, as Postfix's lmtp(8) talks. */
class UnixLmtp {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  static async connect(path: string): Promise<UnixLmtp> {
    const socket = net.connect({ path });
    await withTimeout(new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject)), WAIT_MS, 'connect to the LMTP socket');
    return new UnixLmtp(socket);
  }

  /** One reply (its continuation lines joined by |). */
  async reply(): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const i = this.buffer.indexOf('\r\n');
      if (i < 0) {
        await withTimeout(new Promise<void>((r) => this.waiters.push(r)), WAIT_MS, 'an LMTP reply');
        continue;
      }
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      lines.push(line);
      if (line[3] !== '-') return lines.join('|');
    }
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  send(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('LMTP on a Unix domain socket', () => {
  it('replaces a stale socket file at start and makes the socket mode 0660', async () => {
    // A socket file with nobody listening: what a crashed server leaves behind.
    // (Node unlinks its own socket on close, so a Python process binds one and exits.)
    await run('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', sock], { timeout: WAIT_MS });
    assert.ok((await lstat(sock)).isSocket(), 'a stale socket file is there');
    srv = await startTessera(conf);
    for (const [user, password] of Object.entries(PASSWORDS)) await srv.running.context.users.add(user, password);
    const st = await stat(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  it('delivers a Postfix-style transaction to two recipients, one reply each, seen over IMAP', async () => {
    const c = await UnixLmtp.connect(sock);
    assert.match(await c.reply(), /^220 /);
    const lhlo = await c.command('LHLO mail.relay.test');
    assert.match(lhlo, /^250-/);
    assert.match(lhlo, /PIPELINING/);
    assert.match(await c.command('MAIL FROM:<sender@relay.test> SIZE=200'), /^250 /);
    assert.match(await c.command(`RCPT TO:<${ALICE}>`), /^250 /);
    assert.match(await c.command(`RCPT TO:<${BOB}>`), /^250 /);
    assert.match(await c.command('RCPT TO:<nobody@example.test>'), /^550 /);
    assert.match(await c.command('DATA'), /^354 /);
    c.send(`From: sender@relay.test\r\nTo: ${ALICE}\r\nSubject: over the unix socket\r\nMessage-ID: <unix-socket@relay.test>\r\n\r\nHello over LMTP.\r\n..dot line\r\n.\r\n`);
    assert.match(await c.reply(), /^250 /, 'alice');
    assert.match(await c.reply(), /^250 /, 'bob');
    assert.match(await c.command('RSET'), /^250 /);
    assert.match(await c.command('QUIT'), /^221 /);
    c.close();
    for (const user of [ALICE, BOB]) {
      const imap = await imapConnect(srv!.endpoints.imap, { user, pass: PASSWORDS[user]! });
      try {
        await imap.mailboxOpen('INBOX');
        const uids = (await imap.search({ header: { 'message-id': '<unix-socket@relay.test>' } }, { uid: true })) || [];
        assert.equal(uids.length, 1, `${user} got the message`);
        const msg = await imap.fetchOne(String(uids[0]), { source: true }, { uid: true });
        assert.ok(msg && msg.source);
        assert.match(msg.source.toString('utf8'), /\r\n\r\nHello over LMTP\.\r\n\.dot line\r\n$/);
      } finally {
        await imap.logout();
      }
    }
  });

  it('a second server on the live socket fails to start and leaves the socket alone', async () => {
    const second = await writeE2eConf(idp);
    try {
      await writeFile(join(second.confDir, 'lmtpserver.xml'), `<lmtpservers><lmtpserver enabled="true"><unixSocket>${sock}</unixSocket></lmtpserver></lmtpservers>\n`);
      await assert.rejects(startTessera(second), (err: Error) => /unix:.*lmtp\.sock.*another process listens/.test(String(err.message) + String((err.cause as Error | undefined)?.message)));
      const c = await UnixLmtp.connect(sock);
      assert.match(await c.reply(), /^220 /, 'the first server still answers on its socket');
      c.close();
    } finally {
      await second.dispose();
    }
  });

  it('removes the socket on stop; a regular file at the path stops the start and is not deleted', async () => {
    await srv!.running.stop();
    srv = undefined;
    await assert.rejects(lstat(sock), /ENOENT/);
    await writeFile(sock, 'not a socket');
    await assert.rejects(startTessera(conf), (err: Error) => /not a socket/.test(String(err.message) + String((err.cause as Error | undefined)?.message)));
    assert.ok((await lstat(sock)).isFile(), 'the file is still there');
    await rm(sock);
  });
});
