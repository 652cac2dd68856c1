// `tessera user`, `domain`, `alias`, `forward` and `app-password` go through a running server's
// WebAdmin when webadmin.properties enables it (with the administrator token from the environment),
// and work on users.sqlite directly once no server answers. The server's log shows each change
// arriving over WebAdmin; a revoked app password's IMAP session ends at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { imapConnect, watchMailbox } from '../e2e/clients.js';
import { withDeadline } from '../support/wait.js';
import { runTessera } from './run-tessera.js';
import { freePorts } from '../e2e/sample-conf.js';
import { cli } from './in-process.js';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer | undefined;
let env: NodeJS.ProcessEnv;
let key: KeyObject;

const conf_ = (): string[] => ['--conf', conf.confDir];
const BOB = 'bob@other.test';
const CAROL = `carol@${DOMAIN}`;

before(async () => {
  idp = await startTestIdp({ users: [{ email: `alice@${DOMAIN}` }] });
  conf = await writeE2eConf(idp);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  key = pair.privateKey;
  await writeFile(join(conf.confDir, 'jwt_publickey'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  // The CLI finds the API at the configured port, so it must be a fixed one here.
  const [port] = await freePorts(1);
  await writeFile(join(conf.confDir, 'webadmin.properties'), `enabled=true\nhost=127.0.0.1\nport=${port}\njwt.enabled=true\n`);
  srv = await startTessera(conf);
  const token = await new SignJWT({ sub: 'ops', admin: true }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('10m').sign(key);
  env = { TESSERA_WEBADMIN_TOKEN: token };
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('tessera user, domain, alias, forward and app-password through WebAdmin', () => {
  it('adds a domain and a user through the running server, which logs the requests', async () => {
    const added = await cli(['domain', 'add', 'other.test', ...conf_()], { env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /added domain other\.test \(through WebAdmin at http:\/\/127\.0\.0\.1:\d+\)/);
    assert.deepEqual((await cli(['domain', 'list', ...conf_()], { env })).stdout.trim().split('\n').sort(), [DOMAIN, 'other.test']);
    assert.equal((await cli(['domain', 'add', 'other.test', ...conf_()], { env })).stderr, 'tessera: domain other.test already exists\n');

    const user = await cli(['user', 'add', BOB, ...conf_()], { env, input: 'bob-first-password\n' });
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stderr, /added user bob@other\.test \(through WebAdmin/);
    assert.match(srv!.log.text(), /"admin":"ops","method":"PUT","path":"\/users\/\{username\}","status":204/);
    (await imapConnect(srv!.endpoints.imap, { user: BOB, pass: 'bob-first-password' })).close();
    assert.equal((await cli(['user', 'add', BOB, ...conf_()], { env, input: 'x\n' })).stderr, `tessera: user ${BOB} already exists\n`);
  });

  it('changes a password, lists, refuses to remove a domain in use, removes', async () => {
    assert.equal((await cli(['user', 'passwd', BOB, ...conf_()], { env, input: 'bob-second-password\n' })).code, 0);
    (await imapConnect(srv!.endpoints.imap, { user: BOB, pass: 'bob-second-password' })).close();
    assert.equal((await cli(['user', 'passwd', 'nobody@other.test', ...conf_()], { env, input: 'x\n' })).stderr, 'tessera: user nobody@other.test does not exist\n');
    assert.match((await cli(['user', 'list', ...conf_()], { env })).stdout, /^bob@other\.test$/m);
    const busy = await cli(['domain', 'remove', 'other.test', ...conf_()], { env });
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^tessera: domain other\.test still has 1 user/);
    assert.equal((await cli(['user', 'remove', BOB, ...conf_()], { env })).code, 0);
    assert.equal((await cli(['domain', 'remove', 'other.test', ...conf_()], { env })).code, 0);
  });

  it('alias and forward: add, list, refuse what the server refuses, remove', async () => {
    await srv!.running.context.users.add(CAROL, 'carol-password');
    const sales = `sales@${DOMAIN}`;
    const added = await cli(['alias', 'add', sales, CAROL, ...conf_()], { env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, new RegExp(`^added alias ${sales} of ${CAROL} \\(through WebAdmin at http://127\\.0\\.0\\.1:\\d+\\)\n$`));
    assert.match(srv!.log.text(), /"admin":"ops","method":"PUT","path":"\/address\/aliases\/\{userAddress\}\/sources\/\{aliasAddress\}","status":204/);
    assert.deepEqual(await srv!.running.context.rewrites.sourcesOf('alias', CAROL), [sales], 'stored by the server');
    assert.equal((await cli(['alias', 'list', ...conf_()], { env })).stdout, `${sales}\t${CAROL}\n`);
    assert.equal((await cli(['alias', 'list', CAROL, ...conf_()], { env })).stdout, `${sales}\n`);
    const hidesUser = await cli(['alias', 'add', CAROL, `alice@${DOMAIN}`, ...conf_()], { env });
    assert.equal(hidesUser.code, 1);
    assert.match(hidesUser.stderr, /^tessera: carol@example\.test is a user: an alias cannot hide one\n$/);
    const unserved = await cli(['alias', 'add', 'x@unserved.test', CAROL, ...conf_()], { env });
    assert.equal(unserved.code, 1);
    assert.match(unserved.stderr, /alias domain unserved\.test is not served/);

    const forwarded = await cli(['forward', 'add', CAROL, 'dan@remote.test', ...conf_()], { env });
    assert.equal(forwarded.code, 0, forwarded.stderr);
    assert.match(forwarded.stderr, new RegExp(`^added forward of ${CAROL} to dan@remote\\.test \\(through WebAdmin`));
    assert.equal((await cli(['forward', 'list', CAROL, ...conf_()], { env })).stdout, 'dan@remote.test\n');
    assert.equal((await cli(['forward', 'list', `alice@${DOMAIN}`, ...conf_()], { env })).stdout, '', 'no forward: nothing listed');
    const nobody = await cli(['forward', 'add', `nobody@${DOMAIN}`, 'dan@remote.test', ...conf_()], { env });
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /user nobody@example\.test does not exist/);
    assert.equal((await cli(['forward', 'add', CAROL, 'not an address', ...conf_()], { env })).code, 1);
    assert.equal((await cli(['forward', 'add', CAROL, ...conf_()], { env })).code, 2, 'one address only is a usage error');

    // The real command, as an operator runs it.
    const real = await runTessera(['forward', 'list', ...conf_()], { env });
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout, `${CAROL}\tdan@remote.test\n`);

    assert.match((await cli(['alias', 'remove', sales, CAROL, ...conf_()], { env })).stderr, /^removed alias .* \(through WebAdmin/);
    assert.equal((await cli(['forward', 'remove', CAROL, 'dan@remote.test', ...conf_()], { env })).code, 0);
    assert.equal((await cli(['alias', 'list', ...conf_()], { env })).stdout, '');
    assert.equal((await cli(['forward', 'list', ...conf_()], { env })).stdout, '');
  });

  it('app-password: create, list and revoke through the server, which ends the revoked password’s IMAP session', async () => {
    const created = await cli(['app-password', 'create', CAROL, '--name', 'Tablet', '--scope', 'imap', ...conf_()], { env });
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.match(secret, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
    const id = /created app password (\S+) "Tablet" for carol@example\.test \(imap; no expiry\) \(through WebAdmin at [^)]+\); it is shown only this once/.exec(created.stderr)?.[1];
    assert.ok(id, created.stderr);
    assert.match(srv!.log.text(), /"method":"POST","path":"\/users\/\{username\}\/app-passwords","status":201/);

    const watched = await watchMailbox(srv!.endpoints.imap, { user: CAROL, pass: secret }, 'INBOX');
    try {
      const listed = await cli(['app-password', 'list', CAROL, '--json', ...conf_()], { env });
      assert.equal(listed.code, 0, listed.stderr);
      const row = JSON.parse(listed.stdout.trim()) as Record<string, unknown>;
      assert.deepEqual({ id: row['id'], name: row['name'], scopes: row['scopes'], lastUsedIp: row['lastUsedIp'] }, { id, name: 'Tablet', scopes: ['imap'], lastUsedIp: '127.0.0.1' });
      assert.ok(!listed.stdout.includes(secret));
      assert.match((await cli(['app-password', 'list', CAROL, ...conf_()], { env })).stdout, new RegExp(`^${id}\\s+Tablet\\s+imap\\s`, 'm'));

      const revoked = await cli(['app-password', 'revoke', CAROL, id, ...conf_()], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stderr, /^revoked app password \S+ "Tablet" of carol@example\.test \(through WebAdmin at [^)]+\)\nthe server ended its live sessions\n$/);
      await withDeadline(watched.closed, 10_000, 'the IMAP session of the revoked app password to close');
    } finally {
      await watched.close();
    }
    assert.equal((await cli(['app-password', 'revoke', CAROL, id, ...conf_()], { env })).code, 1, 'already revoked');
    const nobody = await cli(['app-password', 'list', `nobody@${DOMAIN}`, ...conf_()], { env });
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no such user/);
    const past = await cli(['app-password', 'create', CAROL, '--name', 'x', '--expires', '2001-01-01', ...conf_()], { env });
    assert.equal(past.code, 2);
    assert.match(past.stderr, /in the future/);
  });

  it('without a token the server refuses, and the command says which variable to set', async () => {
    const r = await cli(['user', 'list', ...conf_()], { env: {} });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the request \(401: .*\); set TESSERA_WEBADMIN_TOKEN/);
  });

  it('with no server running, works on the database directly', async () => {
    await srv!.running.stop();
    srv = undefined;
    const r = await cli(['domain', 'add', 'direct.test', ...conf_()], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'added domain direct.test\n');
    const alias = await cli(['alias', 'add', `desk@${DOMAIN}`, CAROL, ...conf_()], { env });
    assert.equal(alias.code, 0, alias.stderr);
    assert.equal(alias.stderr, `added alias desk@${DOMAIN} of ${CAROL}\n`);
    assert.equal((await cli(['alias', 'list', CAROL, ...conf_()], { env })).stdout, `desk@${DOMAIN}\n`);
    assert.match((await cli(['alias', 'add', CAROL, `desk@${DOMAIN}`, ...conf_()], { env })).stderr, /is a user: an alias cannot hide one/, 'the same checks on the database');
    assert.equal((await cli(['forward', 'add', `nobody@${DOMAIN}`, 'x@remote.test', ...conf_()], { env })).code, 1);
    const listed = await cli(['app-password', 'list', CAROL, ...conf_()], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'no app passwords\n');
  });
});
