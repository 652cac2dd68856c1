// fetchmail (the Debian package) against the whole server: it logs in with a password over POP3 with
// STLS and over implicit TLS (pop3s), hands every message to an MDA script that writes it to a file,
// and, with no --keep, deletes it on the server. The files hold the messages byte for byte (fetchmail
// gives an MDA LF line ends and prepends its Received: header), and IMAP then finds INBOX empty.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { imapConnect } from '../e2e/clients.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice fetchmail secret', [BOB]: 'bob-fetchmail-secret' };
const FETCHMAIL_DEADLINE_MS = 30_000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let tmp: string;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  for (const [user, password] of Object.entries(PASSWORDS)) await srv.running.context.users.add(user, password);
  tmp = await mkdtemp(join(tmpdir(), 'tessera-fetchmail-'));
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A message with dot-leading lines (byte-stuffed on the wire) and 8-bit text. */
function message(subject: string): string {
  return `From: sender@${DOMAIN}\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@fetchmail.test>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nfirst line\r\n.starts with a dot\r\n..two dots\r\nvoilà, ünïcode\r\n`;
}

async function appendOverImap(user: string, raws: string[]): Promise<void> {
  const imap = await imapConnect(srv.endpoints.imap, { user, pass: PASSWORDS[user]! });
  try {
    for (const raw of raws) assert.ok(await imap.append('INBOX', raw), 'APPEND succeeded');
  } finally {
    await imap.logout();
  }
}

async function inboxCount(user: string): Promise<number> {
  const imap = await imapConnect(srv.endpoints.imap, { user, pass: PASSWORDS[user]! });
  try {
    return (await imap.mailboxOpen('INBOX')).exists;
  } finally {
    await imap.logout();
  }
}

interface FetchmailRun {
  code: number;
  output: string;
  delivered: string[];
}

/**
 * One fetchmail run in the foreground (-N, never a daemon), its rcfile mode 0600, its state
 * (FETCHMAILHOME: pid/lock and id files) in a private directory; killed by PID past the deadline.
 */
async function fetchmail(name: string, user: string, port: number, tls: 'stls' | 'implicit'): Promise<FetchmailRun> {
  const dir = join(tmp, name);
  const out = join(dir, 'mail');
  await mkdir(out, { recursive: true });
  const mda = join(dir, 'mda.sh');
  // Each message to its own file, named in arrival order.
  await writeFile(mda, `#!/bin/sh\nn=$(ls "${out}" | wc -l)\ncat > "${out}/$(printf %03d "$n").eml"\n`);
  await chmod(mda, 0o700);
  const rc = join(dir, 'fetchmailrc');
  const ssl = tls === 'implicit' ? 'ssl' : 'sslproto TLS1.2+'; // without "ssl", a sslproto makes STLS mandatory
  await writeFile(
    rc,
    `set no syslog\npoll 127.0.0.1 service ${port} protocol pop3 auth password timeout 20\n` +
      `  user "${user}" there with password "${PASSWORDS[user]}"\n  ${ssl} no sslcertck fetchall no rewrite mda "${mda}"\n`,
    { mode: 0o600 },
  );
  await chmod(rc, 0o600);
  return new Promise((resolve, reject) => {
    const child = spawn('fetchmail', ['-f', rc, '--nodetach', '-v'], { env: { ...process.env, FETCHMAILHOME: dir, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`fetchmail did not finish within ${FETCHMAIL_DEADLINE_MS} ms:\n${output}`));
    }, FETCHMAIL_DEADLINE_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      void (async () => {
        const files = (await readdir(out)).sort();
        resolve({ code: code ?? -1, output, delivered: await Promise.all(files.map((f) => readFile(join(out, f), 'utf8'))) });
      })().catch(reject);
    });
  });
}

/** What an MDA gets from fetchmail: LF line ends, fetchmail's own Received: header first. */
function assertDelivered(delivered: string, raw: string): void {
  const expected = raw.replace(/\r\n/g, '\n');
  assert.match(delivered, /^Received: from 127\.0\.0\.1[^]*?by [^]*?with POP3/);
  assert.ok(delivered.endsWith(expected), `the message arrived byte for byte:\n${delivered}`);
  const headerEnd = delivered.indexOf(expected);
  assert.match(delivered.slice(0, headerEnd), /^Received: [^]*\n$/, 'only fetchmail\'s Received: header precedes it');
}

describe('fetchmail', () => {
  for (const [tls, user] of [['stls', ALICE], ['implicit', BOB]] as const) {
    it(`retrieves over POP3 ${tls === 'stls' ? 'with STLS' : 'over implicit TLS (pop3s)'}, delivers to an MDA, and deletes on the server`, async () => {
      const raws = [message(`${tls} one`), message(`${tls} two`)];
      await appendOverImap(user, raws);
      const port = tls === 'stls' ? srv.endpoints.pop3 : srv.endpoints.pop3s;
      const first = await fetchmail(`${tls}-1`, user, port, tls);
      assert.equal(first.code, 0, `fetchmail retrieved mail:\n${first.output}`);
      if (tls === 'stls') assert.match(first.output, /POP3> STLS\n[^]*POP3< \+OK[^]*POP3> PASS /, 'fetchmail did STLS before sending the password');
      assert.equal(first.delivered.length, 2, first.output);
      first.delivered.forEach((d, i) => assertDelivered(d, raws[i]!));
      assert.match(first.output, /POP3> DELE 1\n[^]*POP3> DELE 2\n/, 'fetchmail deleted what it retrieved');
      assert.equal(await inboxCount(user), 0, 'the retrieved messages are gone from the server (IMAP INBOX)');
      const second = await fetchmail(`${tls}-2`, user, port, tls);
      assert.equal(second.code, 1, `fetchmail's "no mail" exit code:\n${second.output}`);
      assert.equal(second.delivered.length, 0);
    });
  }

  it('a wrong password fails with fetchmail\'s authentication exit code and leaves the mail on the server', async () => {
    await appendOverImap(ALICE, [message('kept')]);
    const saved = PASSWORDS[ALICE]!;
    PASSWORDS[ALICE] = 'not the password';
    try {
      const r = await fetchmail('wrong', ALICE, srv.endpoints.pop3, 'stls');
      assert.equal(r.code, 3, `exit 3 is an authentication failure:\n${r.output}`);
      assert.equal(r.delivered.length, 0);
    } finally {
      PASSWORDS[ALICE] = saved;
    }
    assert.equal(await inboxCount(ALICE), 1);
  });
});
