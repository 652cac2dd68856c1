// Real clients against a real server, with tokens from a real OpenID provider: nodemailer (PLAIN and
// XOAUTH2), curl (OAUTHBEARER and XOAUTH2, with and without --sasl-ir), Python smtplib; OIDC-only mode
// (passwords disabled) and requireSSL mode end to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;

let idp: TestIdp;
/** Passwords and tokens, clear text allowed. */
let mixed: SmtpHarness;
/** OIDC only: plain mechanisms disabled. */
let oidcOnly: SmtpHarness;
/** requireSSL: nothing authenticates before STARTTLS. */
let sslOnly: SmtpHarness;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  mixed = await startHarness({ startWorker: false, auth: { oidc: idp.oidcConfig() } });
  oidcOnly = await startHarness({ startWorker: false, auth: { plainAuthEnabled: false, oidc: idp.oidcConfig() } });
  sslOnly = await startHarness({ startWorker: false, auth: { requireSSL: true, oidc: idp.oidcConfig() } });
});
after(async () => {
  await mixed?.close();
  await oidcOnly?.close();
  await sslOnly?.close();
  await idp?.close();
});

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A missing client skips locally but fails under CI, where .ci/run installs it. */
function missingTool(t: { skip(message: string): void }, name: string): void {
  if (process.env.CI === 'true') assert.fail(`${name} is required under CI`);
  t.skip(`${name} not installed`);
}

async function received(h: SmtpHarness, subject: string): Promise<boolean> {
  return (await inboxMessages(h.store, BOB)).some((m) => m.includes(`Subject: ${subject}`));
}

function mailer(h: SmtpHarness, auth: { user: string; pass?: string; type?: 'OAuth2'; accessToken?: string }) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: h.port,
    secure: false,
    tls: { rejectUnauthorized: false },
    auth: auth.type === 'OAuth2' ? { type: 'OAuth2', user: auth.user, accessToken: auth.accessToken } : { user: auth.user, pass: auth.pass },
  });
}

test('EHLO announces token mechanisms first when OIDC is configured, and only them in OIDC-only mode', async () => {
  const { client: a } = await RawSmtpClient.connect(mixed.port);
  assert.ok((await a.command('EHLO x')).lines.includes('AUTH OAUTHBEARER XOAUTH2 PLAIN LOGIN'));
  a.close();
  const { client: b } = await RawSmtpClient.connect(oidcOnly.port);
  assert.ok((await b.command('EHLO x')).lines.includes('AUTH OAUTHBEARER XOAUTH2'));
  assert.match((await b.command(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${USERS[ALICE]}`).toString('base64')}`)).text, /^504 5\.5\.4/);
  b.close();
});

test('nodemailer with PLAIN (STARTTLS) delivers', async () => {
  const info = await mailer(mixed, { user: ALICE, pass: USERS[ALICE]! }).sendMail({ from: ALICE, to: BOB, subject: 'nm-plain', text: 'hi' });
  assert.deepEqual(info.accepted, [BOB]);
  assert.ok(await received(mixed, 'nm-plain'));
});

test('nodemailer with XOAUTH2 and a provider token delivers in OIDC-only mode', async () => {
  const token = await idp.accessToken(ALICE);
  const info = await mailer(oidcOnly, { type: 'OAuth2', user: ALICE, accessToken: token }).sendMail({ from: ALICE, to: BOB, subject: 'nm-xoauth2', text: 'hi' });
  assert.deepEqual(info.accepted, [BOB]);
  assert.ok(await received(oidcOnly, 'nm-xoauth2'));
});

test('nodemailer with a forged token gets 535 after the error challenge', async () => {
  const forged = await idp.signJwt({ email: ALICE, aud: 'someone-else', iss: idp.issuer, exp: Math.floor(Date.now() / 1000) + 600 });
  await assert.rejects(
    mailer(oidcOnly, { type: 'OAuth2', user: ALICE, accessToken: forged }).sendMail({ from: ALICE, to: BOB, subject: 'nope', text: 'x' }),
    (err: { responseCode?: number; response?: string }) => err.responseCode === 535 && /5\.7\.8/.test(err.response ?? ''),
  );
});

test('OAUTHBEARER error challenge: 334 with the RFC 7628 JSON, then 535 5.7.8 after 0x01', async () => {
  const { client } = await RawSmtpClient.connect(oidcOnly.port);
  await client.command('EHLO x');
  const payload = Buffer.from(`n,a=${ALICE},\x01host=127.0.0.1\x01port=${oidcOnly.port}\x01auth=Bearer not-a-token\x01\x01`).toString('base64');
  const challenge = await client.command(`AUTH OAUTHBEARER ${payload}`);
  assert.equal(challenge.code, 334);
  const json = JSON.parse(Buffer.from(challenge.lines[0]!, 'base64').toString()) as { status: string; 'openid-configuration'?: string };
  assert.equal(json.status, 'invalid_token');
  assert.equal(json['openid-configuration'], idp.discoveryUrl);
  assert.match((await client.command('AQ==')).text, /^535 5\.7\.8/);
  client.close();
});

for (const mechanism of ['OAUTHBEARER', 'XOAUTH2']) {
  for (const saslIr of [false, true]) {
    test(`curl --oauth2-bearer with AUTH=${mechanism}${saslIr ? ' --sasl-ir' : ''} delivers`, async (t) => {
      const token = await idp.accessToken(ALICE);
      const subject = `curl-${mechanism}-${saslIr}`;
      const file = join(oidcOnly.dir, `${subject}.eml`);
      await writeFile(file, `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: ${subject}\r\n\r\nfrom curl\r\n`);
      const args = [
        '-sS', `smtp://127.0.0.1:${oidcOnly.port}`,
        '--mail-from', ALICE, '--mail-rcpt', BOB, '--upload-file', file,
        '--user', ALICE, '--oauth2-bearer', token, '--login-options', `AUTH=${mechanism}`,
      ];
      if (saslIr) args.push('--sasl-ir');
      const r = await run('curl', args);
      if (r.code === 127 || /ENOENT/.test(r.stderr)) return missingTool(t, 'curl');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(await received(oidcOnly, subject));
    });
  }
}

test('curl with a bad token fails cleanly (535) and the server goes on', async () => {
  const file = join(oidcOnly.dir, 'bad.eml');
  await writeFile(file, 'Subject: bad\r\n\r\nx\r\n');
  const r = await run('curl', ['-sS', `smtp://127.0.0.1:${oidcOnly.port}`, '--mail-from', ALICE, '--mail-rcpt', BOB, '--upload-file', file, '--user', ALICE, '--oauth2-bearer', 'garbage', '--login-options', 'AUTH=OAUTHBEARER']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Login denied|535|authentication/i);
});

test('requireSSL: curl over STARTTLS with a token delivers; without TLS the server refuses AUTH', async () => {
  const token = await idp.accessToken(ALICE);
  const file = join(sslOnly.dir, 'tls.eml');
  await writeFile(file, `Subject: curl-tls\r\n\r\nvia starttls\r\n`);
  const ok = await run('curl', ['-sS', '--ssl-reqd', '-k', `smtp://127.0.0.1:${sslOnly.port}`, '--mail-from', ALICE, '--mail-rcpt', BOB, '--upload-file', file, '--user', ALICE, '--oauth2-bearer', token]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(await received(sslOnly, 'curl-tls'));
  const { client } = await RawSmtpClient.connect(sslOnly.port);
  await client.command('EHLO x');
  const payload = Buffer.from(`n,a=${ALICE},\x01auth=Bearer ${token}\x01\x01`).toString('base64');
  // Tokens are credentials too: before TLS nothing is advertised and AUTH is refused (538).
  assert.match((await client.command(`AUTH OAUTHBEARER ${payload}`)).text, /^538 5\.7\.11/);
  client.close();
});

const PYTHON = `
import smtplib, ssl, sys
port, user, secret, mode, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
s.ehlo('python.example'); s.starttls(context=ctx); s.ehlo('python.example')
if mode == 'password':
    s.login(user, secret)
else:
    s.auth('XOAUTH2', lambda challenge=None: '' if challenge is not None else 'user=%s\\x01auth=Bearer %s\\x01\\x01' % (user, secret))
s.sendmail(user, ['${BOB}'], 'Subject: %s\\r\\n\\r\\nfrom python\\r\\n' % subject)
s.quit()
`;

test('Python smtplib: STARTTLS + LOGIN/PLAIN in requireSSL mode, and XOAUTH2 with a token', async (t) => {
  const pw = await run('python3', ['-c', PYTHON, String(sslOnly.port), ALICE, USERS[ALICE]!, 'password', 'py-password']);
  if (pw.code === 127 || /ENOENT/.test(pw.stderr)) return missingTool(t, 'python3');
  assert.equal(pw.code, 0, pw.stderr);
  assert.ok(await received(sslOnly, 'py-password'));
  const token = await idp.accessToken(ALICE);
  const tk = await run('python3', ['-c', PYTHON, String(oidcOnly.port), ALICE, token, 'token', 'py-token']);
  assert.equal(tk.code, 0, tk.stderr);
  assert.ok(await received(oidcOnly, 'py-token'));
  const bad = await run('python3', ['-c', PYTHON, String(oidcOnly.port), ALICE, 'bad-token', 'token', 'py-bad']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /535/);
});

test('a revoked OIDC session ends the SMTP session with 421; other users stay connected', async () => {
  const issued = await idp.issueToken(ALICE);
  const bobToken = await idp.accessToken(BOB);
  const login = async (user: string, token: string): Promise<RawSmtpClient> => {
    const { client } = await RawSmtpClient.connect(oidcOnly.port);
    await client.command('EHLO x');
    const ir = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    assert.match((await client.command(`AUTH XOAUTH2 ${ir}`)).text, /^235/);
    return client;
  };
  const alice = await login(ALICE, issued.accessToken);
  const bob = await login(BOB, bobToken);
  assert.ok(issued.sid);
  await oidcOnly.events.publish({ type: 'session-revoked', sid: issued.sid, issuer: idp.issuer, reason: 'back-channel logout' });
  assert.match((await alice.read()).text, /^421 4\.7\.0/);
  await alice.closed;
  assert.equal((await bob.command('NOOP')).code, 250);
  bob.close();
});

test('tokenExpiry=disconnect: a session whose token expires is closed with 421', async () => {
  const h = await startHarness({ startWorker: false, auth: { plainAuthEnabled: false, oidc: idp.oidcConfig() }, config: { tokenExpiry: { action: 'disconnect', graceSeconds: 0 } } });
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await idp.signJwt({ iss: idp.issuer, aud: idp.audience, email: ALICE, scope: idp.scope, sub: 'alice-sub', iat: now, exp: now + 2 });
    const { client } = await RawSmtpClient.connect(h.port);
    await client.command('EHLO x');
    const ir = Buffer.from(`user=${ALICE}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    assert.match((await client.command(`AUTH XOAUTH2 ${ir}`)).text, /^235/);
    assert.match((await client.read()).text, /^421 4\.7\.0 .*expired/);
    await client.closed;
  } finally {
    await h.close();
  }
});

test('identity provider unreachable before its keys were ever fetched: 454 4.7.0 and the session goes on', async () => {
  const down = await startTestIdp({ users: [{ email: ALICE }] });
  const token = await down.accessToken(ALICE);
  const h = await startHarness({ startWorker: false, auth: { plainAuthEnabled: false, oidc: down.oidcConfig() } });
  try {
    await down.stop();
    const ir = Buffer.from(`user=${ALICE}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const { client } = await RawSmtpClient.connect(h.port);
    await client.command('EHLO x');
    assert.match((await client.command(`AUTH XOAUTH2 ${ir}`)).text, /^454 4\.7\.0/);
    assert.equal((await client.command('NOOP')).code, 250);
    client.close();
    await down.start();
  } finally {
    await h.close();
    await down.close();
  }
});
