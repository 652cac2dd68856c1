// LMTP (RFC 2033) end to end on a real `tessera serve` process, configured by James' own
// lmtpserver.xml (the jpa-app sample, its block switched on): a raw-socket exchange, Python's
// smtplib.LMTP, and a private Postfix instance delivering into Tessera over LMTP, each message then
// read back over IMAP.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { runTessera } from '../cli/run-tessera.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { waitFor } from '../support/wait.js';
import { imapConnect } from './clients.js';
import { addUser, copySample, PASSWORD, serve, USER, type RunningSample, type SampleCopy } from './james-sample-run.js';

const run = promisify(execFile);
const BOB = 'bob@localhost';
let copy: SampleCopy;
let server: RunningSample;
let lmtpPort: number;

before(async () => {
  copy = await copySample('jpa-app');
  const file = path.join(copy.confDir, 'lmtpserver.xml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('<lmtpserver enabled="false">', '<lmtpserver enabled="true">'));
  await addUser(copy);
  const bob = await runTessera(['user', 'add', BOB, '--conf', copy.confDir], { input: `${PASSWORD}\n`, env: { TESSERA_DATA_DIR: copy.dataDir } });
  assert.equal(bob.code, 0, bob.stderr);
  const started = await serve(copy);
  if (!started.ok) throw new Error(`tessera serve refused to start (${started.code}): ${started.stderr}`);
  server = started.run;
  assert.match(server.address('lmtpserver'), /^lmtp:\/\/127\.0\.0\.1:\d+$/);
  lmtpPort = server.port('lmtpserver');
});

after(async () => {
  await server?.stop();
  await copy?.cleanup();
});

/** Subjects in `user`'s INBOX, read over IMAP (STARTTLS, password). */
async function inboxSubjects(user: string): Promise<string[]> {
  const imap = await imapConnect(server.port('imapserver'), { user, pass: PASSWORD });
  try {
    const lock = await imap.getMailboxLock('INBOX');
    try {
      const out: string[] = [];
      const mailbox = imap.mailbox;
      if (!mailbox || mailbox.exists === 0) return out;
      for await (const m of imap.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await imap.logout();
  }
}

async function waitForSubject(user: string, subject: string, ms = 60_000): Promise<void> {
  await waitFor(`"${subject}" in ${user}'s INBOX`, async () => (await inboxSubjects(user)).includes(subject), ms);
}

function message(subject: string): string {
  return `From: sender@relay.test\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@relay.test>\r\n\r\nHello over LMTP.\r\n`;
}

test('the sample lmtpserver.xml is served, not named as ignored', () => {
  const named = server.logs.filter((l) => /^James file not served by Tessera/.test(l.msg)).map((l) => path.basename(l.file ?? ''));
  assert.ok(!named.includes('lmtpserver.xml'), named.join(', '));
});

test('raw LMTP: LHLO, EHLO/HELO refused, RCPT per user, one reply per recipient after DATA', async () => {
  const { client, greeting } = await RawSmtpClient.connect(lmtpPort);
  try {
    assert.equal(greeting.code, 220);
    assert.match(greeting.text, /LMTP/);
    assert.equal((await client.command('EHLO relay.test')).code, 500, 'RFC 2033 §4.1: EHLO is refused');
    assert.equal((await client.command('HELO relay.test')).code, 500, 'RFC 2033 §4.1: HELO is refused');
    assert.equal((await client.command('MAIL FROM:<a@relay.test>')).code, 503, 'MAIL before LHLO');
    const lhlo = await client.command('LHLO relay.test');
    assert.equal(lhlo.code, 250);
    for (const ext of ['PIPELINING', 'ENHANCEDSTATUSCODES', 'CHUNKING', '8BITMIME']) assert.ok(lhlo.lines.some((l) => l.startsWith(ext)), `LHLO lists ${ext}`);
    assert.ok(!lhlo.lines.some((l) => /^(AUTH|STARTTLS)/.test(l)), 'no AUTH or STARTTLS on LMTP');
    assert.equal((await client.command('AUTH PLAIN')).code, 502);

    // RSET drops a transaction.
    assert.equal((await client.command('MAIL FROM:<a@relay.test>')).code, 250);
    assert.equal((await client.command('RSET')).code, 250);
    assert.equal((await client.command('RCPT TO:<alice@localhost>')).code, 503, 'RCPT after RSET needs MAIL');

    // One pipelined transaction: MAIL, three RCPT (one unknown), DATA, the message.
    client.write(
      'MAIL FROM:<sender@relay.test>\r\nRCPT TO:<alice@localhost>\r\nRCPT TO:<nobody@localhost>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n',
    );
    assert.equal((await client.read()).code, 250, 'MAIL');
    assert.equal((await client.read()).code, 250, 'RCPT alice');
    const unknown = await client.read();
    assert.equal(unknown.code, 550, 'RCPT of an unknown user');
    assert.match(unknown.text, /5\.1\.1/);
    assert.equal((await client.read()).code, 250, 'RCPT bob');
    assert.equal((await client.read()).code, 354, 'DATA');
    client.write(`${message('raw lmtp pipelined')}.\r\n`);
    const first = await client.read();
    const second = await client.read();
    assert.equal(first.code, 250);
    assert.match(first.text, /<alice@localhost>/);
    assert.equal(second.code, 250);
    assert.match(second.text, /<bob@localhost>/);
    // Exactly two replies: the next one answers NOOP.
    assert.equal((await client.command('NOOP')).code, 250);

    // BDAT (CHUNKING is advertised): replies per recipient after LAST only.
    assert.equal((await client.command('MAIL FROM:<sender@relay.test>')).code, 250);
    assert.equal((await client.command('RCPT TO:<alice@localhost>')).code, 250);
    assert.equal((await client.command('RCPT TO:<bob@localhost>')).code, 250);
    const body = Buffer.from(message('raw lmtp bdat'));
    const half = Math.floor(body.length / 2);
    client.write(Buffer.concat([Buffer.from(`BDAT ${half}\r\n`), body.subarray(0, half)]));
    assert.equal((await client.read()).code, 250, 'first chunk');
    client.write(Buffer.concat([Buffer.from(`BDAT ${body.length - half} LAST\r\n`), body.subarray(half)]));
    assert.equal((await client.read()).code, 250, 'alice after LAST');
    assert.equal((await client.read()).code, 250, 'bob after LAST');

    assert.equal((await client.command('QUIT')).code, 221);
    await client.closed;
  } finally {
    client.close();
  }
  await waitForSubject(USER, 'raw lmtp pipelined');
  await waitForSubject(BOB, 'raw lmtp pipelined');
  await waitForSubject(BOB, 'raw lmtp bdat');
});

test("Python's smtplib.LMTP delivers, and is told which recipient was refused", async () => {
  const script = `
import smtplib, sys
c = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
refused = c.sendmail('sender@relay.test', ['alice@localhost', 'ghost@localhost'], sys.stdin.read().encode())
print(sorted((k, v[0]) for k, v in refused.items()))
c.quit()
`;
  const child = execFile('python3', ['-c', script, String(lmtpPort)]);
  child.stdin!.end(message('python smtplib lmtp'));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, err);
  assert.equal(out.trim(), "[('ghost@localhost', 550)]");
  await waitForSubject(USER, 'python smtplib lmtp');
});

/** A port nobody listens on right now (Postfix is told to bind it). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

test('Postfix delivers into Tessera over LMTP (local_transport = lmtp:inet:127.0.0.1:PORT)', async (t) => {
  const postfix = '/usr/sbin/postfix';
  const installed = await access(postfix).then(() => true, () => false);
  if (!installed) {
    if (process.env['CI'] === 'true') assert.fail('postfix is not installed (.ci/run installs it)');
    t.skip('postfix is not installed (apt-get install postfix)');
    return;
  }
  // Postfix's daemons run as the postfix user: every directory on the way must be traversable.
  const home = await mkdtemp(path.join(tmpdir(), 'tessera-postfix-'));
  await chmod(home, 0o755);
  const conf = path.join(home, 'etc');
  await mkdir(conf);
  // The queue directory belongs to root (postfix-script fills it); the data directory to postfix.
  await mkdir(path.join(home, 'queue'));
  await mkdir(path.join(home, 'data'));
  const { stdout: uid } = await run('id', ['-u', 'postfix']);
  await chown(path.join(home, 'data'), Number(uid.trim()), -1);
  const smtpPort = await freePort();
  const main = [
    'compatibility_level = 3.6',
    `queue_directory = ${path.join(home, 'queue')}`,
    `data_directory = ${path.join(home, 'data')}`,
    `maillog_file = ${path.join(home, 'maillog')}`,
    `maillog_file_prefixes = ${home}`,
    'syslog_name = postfix-tessera-test',
    'myhostname = relay.test',
    'mydomain = relay.test',
    'myorigin = relay.test',
    'mydestination = localhost',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    // Every recipient in mydestination goes to Tessera; Tessera itself says who exists.
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    `local_transport = lmtp:inet:127.0.0.1:${lmtpPort}`,
    'smtputf8_enable = no',
    'biff = no',
    'queue_run_delay = 1s',
    'minimal_backoff_time = 1s',
    '',
  ].join('\n');
  await writeFile(path.join(conf, 'main.cf'), main);
  // Debian's master.cf, without chroot (the queue directory holds no etc/ for a chroot), the SMTP
  // server on our own loopback port, and the logging service maillog_file needs.
  const master = (await readFile('/usr/share/postfix/master.cf.dist', 'utf8'))
    .replace(/^smtp\s+inet\s.*$/m, `127.0.0.1:${smtpPort} inet n - n - - smtpd`)
    .replace(/^#?postlog\s+unix-dgram.*$/m, 'postlog   unix-dgram n  -       n       -       1       postlogd');
  await writeFile(path.join(conf, 'master.cf'), master);
  await run('postconf', ['-c', conf, '-F', '*/*/chroot = n']);
  const stop = async (): Promise<void> => {
    await run(postfix, ['-c', conf, 'stop']).catch(() => undefined);
  };
  try {
    await run(postfix, ['-c', conf, 'start']);
  } catch (err) {
    const log = await readFile(path.join(home, 'maillog'), 'utf8').catch(() => '');
    throw new Error(`postfix -c ${conf} start failed: ${String(err)}\n${log}`);
  }
  try {
    const script = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30) as c:
    c.sendmail('sender@relay.test', ['alice@localhost'], sys.stdin.read().encode())
`;
    await waitFor(
      'Postfix smtpd to accept a connection',
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(smtpPort, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      30_000,
    );
    const child = execFile('python3', ['-c', script, String(smtpPort)]);
    child.stdin!.end(message('through postfix over lmtp'));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    try {
      await waitForSubject(USER, 'through postfix over lmtp', 90_000);
    } catch (e) {
      const log = await readFile(path.join(home, 'maillog'), 'utf8').catch(() => '(no maillog)');
      throw new Error(`${String(e)}\nPostfix log:\n${log}`);
    }
    const log = await readFile(path.join(home, 'maillog'), 'utf8');
    assert.match(log, /relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent/, 'Postfix logged the LMTP delivery as sent');
  } finally {
    await stop();
    await rm(home, { recursive: true, force: true });
  }
});
