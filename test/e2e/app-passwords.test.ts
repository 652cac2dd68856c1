// App passwords in the whole server: a user whose own password nobody knows (an OpenID-only account:
// created with a random password thrown away at once) creates app passwords with the CLI, logs in
// with them over IMAP (imapflow) and SMTP submission (nodemailer) under plainAuthEnabled/requireSSL,
// is refused where the scope says no, and a revocation ends the live IMAP session at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { cli } from '../cli/in-process.js';
import { DOMAIN, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, submit, watchMailbox } from './clients.js';

const ERIN = `erin@${DOMAIN}`;
const WAIT_MS = 5000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ERIN }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  // Erin signs in at the provider only: the password Tessera holds is random and forgotten here.
  await srv.running.context.users.add(ERIN, randomBytes(24).toString('base64url'));
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

async function create(...options: string[]): Promise<{ id: string; secret: string }> {
  const run = await cli(['app-password', 'create', ERIN, '--conf', conf.confDir, ...options]);
  assert.equal(run.code, 0, run.stderr);
  const secret = run.stdout.trim();
  assert.match(secret, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  const id = /created app password (\S+)/.exec(run.stderr)?.[1];
  assert.ok(id, run.stderr);
  return { id, secret };
}

function mail(subject: string): { from: string; to: string; subject: string; text: string; messageId: string } {
  return { from: ERIN, to: ERIN, subject, text: 'sent with an app password', messageId: `<${randomUUID()}@${DOMAIN}>` };
}

describe('app passwords', () => {
  it('log in over IMAP and SMTP for a user whose own password Tessera never sees', async () => {
    await assert.rejects(imapConnect(srv.endpoints.imap, { user: ERIN, pass: 'what-she-uses-at-the-idp' }), /AUTHENTICATIONFAILED|Authentication failed/i);
    const { id, secret } = await create('--name', 'Laptop', '--scope', 'imap,smtp');

    const client = await imapConnect(srv.endpoints.imap, { user: ERIN, pass: secret });
    await client.logout();
    const sent = await submit({ port: srv.endpoints.submission, auth: { user: ERIN, pass: secret } }, mail('app password'));
    assert.deepEqual(sent.rejected, []);

    const listed = await cli(['app-password', 'list', ERIN, '--json', '--conf', conf.confDir]);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const row = rows.find((r) => r['id'] === id);
    assert.ok(row, listed.stdout);
    assert.equal(row['name'], 'Laptop');
    assert.deepEqual(row['scopes'], ['imap', 'smtp']);
    assert.equal(row['lastUsedIp'], '127.0.0.1');
    assert.equal(typeof row['lastUsedAt'], 'string');
    assert.ok(!listed.stdout.includes(secret.replace(/-/g, '')) && !listed.stdout.includes(secret), 'the secret is never shown again');
    assert.ok(!srv.log.text().includes(secret.replace(/-/g, '').slice(8)), 'the secret is never logged');
    assert.match(srv.log.text(), new RegExp(`"appPassword":"${id}"`), 'the audit line names the app password');
  });

  it('is refused on a protocol outside its scope', async () => {
    const { secret } = await create('--name', 'Reader', '--scope', 'imap');
    const client = await imapConnect(srv.endpoints.imap, { user: ERIN, pass: secret });
    await client.logout();
    await assert.rejects(
      submit({ port: srv.endpoints.submission, auth: { user: ERIN, pass: secret } }, mail('out of scope')),
      (err: Error & { responseCode?: number }) => err.responseCode === 535,
    );
    assert.match(srv.log.text(), /is not valid for smtp/);
  });

  it('revoking it ends its live IMAP session at once and refuses it from then on, sparing others', async () => {
    const doomed = await create('--name', 'Old phone');
    const kept = await create('--name', 'New phone');
    const watched = await watchMailbox(srv.endpoints.imap, { user: ERIN, pass: doomed.secret }, 'INBOX');
    const other = await watchMailbox(srv.endpoints.imap, { user: ERIN, pass: kept.secret }, 'INBOX');
    try {
      const revoked = await cli(['app-password', 'revoke', ERIN, doomed.id, '--conf', conf.confDir]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stderr, /1 live session ended/);
      await withTimeout(watched.closed, WAIT_MS, 'the IMAP session of the revoked app password to close');
      assert.equal(other.client.usable, true, 'the session of another app password of the same user stays');
      await assert.rejects(imapConnect(srv.endpoints.imap, { user: ERIN, pass: doomed.secret }), /AUTHENTICATIONFAILED|Authentication failed/i);
      const again = await cli(['app-password', 'revoke', ERIN, doomed.id, '--conf', conf.confDir]);
      assert.equal(again.code, 1);
    } finally {
      await watched.close();
      await other.close();
    }
  });

  it('refuses bad requests from the command line', async () => {
    const unknown = await cli(['app-password', 'create', ERIN, '--name', 'x', '--scope', 'imap,gopher', '--conf', conf.confDir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown protocol "gopher"/);
    const past = await cli(['app-password', 'create', ERIN, '--name', 'x', '--expires', '2001-01-01', '--conf', conf.confDir]);
    assert.equal(past.code, 2);
    assert.match(past.stderr, /in the future/);
    const nobody = await cli(['app-password', 'list', `nobody@${DOMAIN}`, '--conf', conf.confDir]);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no such user/);
  });
});
