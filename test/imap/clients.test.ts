// Real clients end to end against a Tessera IMAP server: imapflow (password and access token),
// curl with --oauth2-bearer, and Python's imaplib with XOAUTH2. Tokens come from a real OpenID
// provider (oidc-provider) started by the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { startImap, type ImapHarness } from './harness.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { RawClient } from './raw-client.js';

const run = promisify(execFile);
const USER = 'carol@example.org';
const PASS = 'hunter2';

let idp: TestIdp;
let oidcOnly: ImapHarness;
let mixed: ImapHarness;

before(async () => {
  idp = await startTestIdp({ users: [{ email: USER }] });
  // OIDC-only: passwords off, tokens on (clear listener with STARTTLS, requireSSL as the default).
  oidcOnly = await startImap({ users: { [USER]: PASS }, tls: 'starttls', auth: { plainAuthEnabled: false, requireSSL: true, oidc: idp.oidcConfig() } });
  // Passwords and tokens, requireSSL on a STARTTLS listener.
  mixed = await startImap({ users: { [USER]: PASS }, tls: 'starttls', auth: { plainAuthEnabled: true, requireSSL: true, oidc: idp.oidcConfig() } });
});

after(async () => {
  await oidcOnly?.close();
  await mixed?.close();
  await idp?.close();
});

function flow(port: number, auth: { user: string; pass?: string; accessToken?: string }): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port, secure: false, auth, logger: false, tls: { rejectUnauthorized: false }, verifyOnly: false });
}

/** A raw client on the OIDC-only listener, upgraded with STARTTLS. */
async function overTls(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const ok = await c.command('s', 'STARTTLS');
  assert.match(ok.at(-1)!, /^s OK/);
  await c.upgrade();
  return c;
}

test('requireSSL: before STARTTLS no token mechanism is advertised and AUTHENTICATE OAUTHBEARER is refused; after it the same token logs in', async () => {
  const token = await idp.accessToken(USER);
  const payload = Buffer.from(`n,a=${USER},\x01host=127.0.0.1\x01port=${oidcOnly.port}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
  const clear = await RawClient.connect(oidcOnly.port);
  const before = await clear.command('a', 'CAPABILITY');
  // Capabilities named AUTH=… (URLAUTH=BINARY only contains the letters).
  assert.ok(!before[0]!.split(' ').some((cap) => cap.startsWith('AUTH=')), before[0]);
  assert.ok(before[0]!.includes('LOGINDISABLED') && before[0]!.includes('STARTTLS'), before[0]);
  for (const [tag, mechanism, ir] of [['b', 'OAUTHBEARER', payload], ['c', 'XOAUTH2', Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64')]] as const) {
    const refused = await clear.command(tag, `AUTHENTICATE ${mechanism} ${ir}`);
    assert.match(refused.at(-1)!, new RegExp(`^${tag} NO \\[PRIVACYREQUIRED\\]`), mechanism);
  }
  const ok = await clear.command('s', 'STARTTLS');
  assert.match(ok.at(-1)!, /^s OK/);
  await clear.upgrade();
  const after = await clear.command('d', 'CAPABILITY');
  assert.ok(after[0]!.includes('AUTH=OAUTHBEARER') && after[0]!.includes('AUTH=XOAUTH2'), after[0]);
  // Passwords are off on this listener, so LOGIN stays disabled even over TLS.
  assert.ok(after[0]!.includes('LOGINDISABLED') && !after[0]!.includes('AUTH=PLAIN'), after[0]);
  assert.match((await clear.command('e', `AUTHENTICATE OAUTHBEARER ${payload}`)).at(-1)!, /^e OK/);
  clear.close();
});

test('imapflow logs in with an access token (OAUTHBEARER) and reads the mailbox', async () => {
  const token = await idp.accessToken(USER);
  const client = flow(oidcOnly.port, { user: USER, accessToken: token });
  await client.connect();
  await client.append('INBOX', 'From: a@example.org\r\nSubject: hello token\r\n\r\nbody\r\n');
  const lock = await client.getMailboxLock('INBOX');
  try {
    const msgs = [];
    for await (const m of client.fetch('1:*', { envelope: true, uid: true, flags: true })) msgs.push(m);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.envelope?.subject, 'hello token');
  } finally {
    lock.release();
  }
  await client.logout();
});

test('imapflow with a password after STARTTLS on a requireSSL listener', async () => {
  const client = flow(mixed.port, { user: USER, pass: PASS });
  await client.connect();
  const status = await client.status('INBOX', { messages: true, uidNext: true });
  assert.ok(status && typeof status.messages === 'number');
  await client.logout();
});

test('a bad token gets the RFC 7628 error challenge, then NO [AUTHENTICATIONFAILED]', async () => {
  const c = await overTls(oidcOnly.port);
  const payload = Buffer.from(`n,a=${USER},\x01host=127.0.0.1\x01port=${oidcOnly.port}\x01auth=Bearer not.a.token\x01\x01`).toString('base64');
  c.write(`a AUTHENTICATE OAUTHBEARER ${payload}\r\n`);
  const challenge = await c.readLine();
  assert.match(challenge, /^\+ [A-Za-z0-9+/=]+$/);
  const json = JSON.parse(Buffer.from(challenge.slice(2), 'base64').toString()) as { status: string };
  assert.equal(json.status, 'invalid_token');
  c.write('AQ==\r\n');
  assert.match(await c.readLine(), /^a NO \[AUTHENTICATIONFAILED\]/);
  c.close();
});

test('curl imap:// with --ssl-reqd and --oauth2-bearer (OAUTHBEARER and XOAUTH2) lists the mailboxes', async () => {
  const token = await idp.accessToken(USER);
  for (const mech of ['OAUTHBEARER', 'XOAUTH2']) {
    const { stdout } = await run('curl', ['-sS', '--max-time', '20', '--ssl-reqd', '-k', `imap://127.0.0.1:${oidcOnly.port}/`, '-u', `${USER}:`, '--oauth2-bearer', token, '--login-options', `AUTH=${mech}`]);
    assert.match(stdout, /LIST .*INBOX/, `${mech}: ${stdout}`);
  }
});

test('Python imaplib STARTTLS + authenticate("XOAUTH2", …) selects INBOX', async () => {
  const token = await idp.accessToken(USER);
  const script = [
    'import imaplib, sys',
    'import ssl',
    'm = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))',
    'm.starttls(ssl._create_unverified_context())',
    'user, tok = sys.argv[2], sys.argv[3]',
    'typ, data = m.authenticate("XOAUTH2", lambda _: ("user=%s\\x01auth=Bearer %s\\x01\\x01" % (user, tok)).encode())',
    'print(typ)',
    'typ, data = m.select("INBOX")',
    'print(typ, data[0].decode())',
    'm.logout()',
  ].join('\n');
  const { stdout } = await run('python3', ['-c', script, String(oidcOnly.port), USER, token]);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], 'OK');
  assert.match(lines[1]!, /^OK \d+$/);
});

test('tokenExpiry=disconnect ends a token session when the token expires', async () => {
  const t = await startImap({
    users: { [USER]: PASS },
    auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() },
    config: { tokenExpiry: { action: 'disconnect', graceSeconds: 0 } },
  });
  try {
    const token = await idp.signJwt({ email: USER, scope: idp.scope, exp: Math.floor(Date.now() / 1000) + 2 });
    const c = await RawClient.connect(t.port);
    const payload = Buffer.from(`n,a=${USER},\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const r = await c.command('a', `AUTHENTICATE OAUTHBEARER ${payload}`);
    assert.match(r.at(-1)!, /^a OK /);
    assert.equal(await c.readLine(6000), '* BYE Access token expired');
    assert.ok(await c.closedWithin(3000));
  } finally {
    await t.close();
  }
});

test('an unreachable identity provider gives NO [UNAVAILABLE], not AUTHENTICATIONFAILED', async () => {
  const t = await startImap({ users: { [USER]: PASS }, auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() } });
  const token = await idp.accessToken(USER);
  await idp.stop();
  try {
    const c = await RawClient.connect(t.port);
    const payload = Buffer.from(`n,a=${USER},\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    c.write(`a AUTHENTICATE OAUTHBEARER ${payload}\r\n`);
    let line = await c.readLine(15_000);
    if (line.startsWith('+ ')) {
      c.write('AQ==\r\n');
      line = await c.readLine(15_000);
    }
    assert.match(line, /^a NO \[UNAVAILABLE\]/);
    c.close();
  } finally {
    await idp.start();
    await t.close();
  }
});
