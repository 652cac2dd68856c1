// `tessera user` and `tessera domain` go through a running server's WebAdmin when webadmin.properties
// enables it (with the administrator token from the environment), and work on users.sqlite directly
// once no server answers. The server's log shows each change arriving over WebAdmin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { imapConnect } from '../e2e/clients.js';
import { freePorts } from '../e2e/sample-conf.js';
import { cli } from './in-process.js';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer | undefined;
let env: NodeJS.ProcessEnv;
let key: KeyObject;

const conf_ = (): string[] => ['--conf', conf.confDir];
const BOB = 'bob@other.test';

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

describe('tessera user/domain through WebAdmin', () => {
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
  });
});
