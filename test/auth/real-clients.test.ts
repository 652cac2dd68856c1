// Real clients through the SASL layer, against the IMAP server: curl's OAUTHBEARER with SASL-IR and
// its AQ== reply to the error challenge, and Python imaplib's XOAUTH2, which waits for "+".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log/logger.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { startImap, type ImapHarness } from '../imap/harness.js';

const run = promisify(execFile);
const ALICE = 'alice@example.com';
let idp: TestIdp;
let imap: ImapHarness;

async function have(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}
const hasCurl = await have('curl', ['--version']);
const hasPython = await have('python3', ['--version']);
const skipCurl = !hasCurl && process.env.CI !== 'true';
const skipPython = !hasPython && process.env.CI !== 'true';
if (skipCurl) console.log('# curl not found: skipping curl tests');
if (skipPython) console.log('# python3 not found: skipping imaplib tests');

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  // A clear listener without requireSSL: these tests are about the token exchanges real clients make
  // (the TLS rule for tokens is tested in test/imap/clients.test.ts and by the banner test below).
  imap = await startImap({ users: { [ALICE]: 'pw' }, auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() } });
});

after(async () => {
  await imap.close();
  await idp.close();
});

async function curl(token: string): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run('curl', ['-sv', '--max-time', '10', `imap://127.0.0.1:${imap.port}/`, '--login-options', 'AUTH=OAUTHBEARER', '--oauth2-bearer', token, '--user', `${ALICE}:`]);
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

test('curl --oauth2-bearer logs in with OAUTHBEARER and SASL-IR', { skip: skipCurl }, async () => {
  const issued = await idp.issueToken(ALICE);
  const before = imap.admitted.length;
  const r = await curl(issued.accessToken);
  assert.equal(r.code, 0, r.stderr.slice(-500));
  assert.match(r.stderr, /AUTHENTICATE OAUTHBEARER [A-Za-z0-9+/=]{40,}/, 'initial response on the command line');
  assert.equal(imap.admitted[before]?.user, ALICE);
  assert.equal(imap.admitted[before]?.sid, issued.sid);
});

test('curl with a bad token gets the error challenge, answers AQ== and is refused', { skip: skipCurl }, async () => {
  const bad = await idp.signJwt({ email: ALICE, scope: 'openid email', aud: 'urn:someone-else' });
  const r = await curl(bad);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /\+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIi/, 'RFC 7628 error challenge sent');
  assert.match(r.stderr, /> AQ==/, 'curl replied with ^A');
  assert.match(r.stderr, /NO \[AUTHENTICATIONFAILED\]/);
});

test('Python imaplib authenticates with XOAUTH2 after the "+" prompt', { skip: skipPython }, async () => {
  const token = await idp.accessToken(ALICE);
  const script = [
    'import imaplib, sys',
    'm = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))',
    'typ, data = m.authenticate("XOAUTH2", lambda _: ("user=%s\\x01auth=Bearer %s\\x01\\x01" % (sys.argv[2], sys.argv[3])).encode())',
    'print(typ)',
    'm.logout()',
  ].join('\n');
  const before = imap.admitted.length;
  const r = await run('python3', ['-c', script, String(imap.port), ALICE, token]);
  assert.equal(r.stdout.trim(), 'OK');
  assert.equal(imap.admitted[before]?.mechanism, 'XOAUTH2');
});

test('the development IdP banner commands work as printed', { skip: skipCurl }, async () => {
  const { startDevIdp, devIdpBannerLines } = await import('../../src/devidp/index.js');
  const DEMO = 'demo@example.com';
  const dev = await startDevIdp({ port: 0, users: [{ email: DEMO }], audience: 'urn:tessera:mail', logger: silentLogger() });
  const oidc = { oidcConfigurationURL: dev.discoveryUrl, claim: 'email', scope: 'openid email', aud: ['urn:tessera:mail'], revalidateInterval: 0 };
  // As in the sample conf: a STARTTLS listener under requireSSL, so the printed command must use TLS.
  const devImap = await startImap({ users: { [DEMO]: 'demo' }, tls: 'starttls', auth: { plainAuthEnabled: false, requireSSL: true, oidc } });
  const certDir = await mkdtemp(join(tmpdir(), 'tessera-banner-'));
  const cacert = join(certDir, 'cert.pem');
  await writeFile(cacert, devImap.cert ?? '');
  try {
    const lines = devIdpBannerLines({ issuer: dev.issuer, email: DEMO, imap: { host: '127.0.0.1', port: devImap.port, requireTls: true }, cacert });
    assert.ok(lines.some((l) => l.includes(`--ssl-reqd --cacert '${cacert}'`)), 'the IMAP command uses STARTTLS');
    const command = (label: string): string => {
      const line = lines.find((l) => l.trimStart().startsWith(label));
      assert.ok(line, label);
      return line.slice(line.indexOf(label) + label.length).trim();
    };
    const script = `set -e\n${command('get a token:')}\n${command('IMAP login:')} --max-time 10 -s\n`;
    await run('bash', ['-c', script]);
    assert.equal(devImap.admitted[0]?.user, DEMO);
    assert.equal(devImap.admitted[0]?.mechanism, 'OAUTHBEARER');
  } finally {
    await devImap.close();
    await dev.stop();
    await rm(certDir, { recursive: true, force: true });
  }
});
