// ManageSieve in the whole server (runServe with the real protocol factories, one store): sieve-connect
// uploading and activating over STARTTLS with a password, a raw Python session logging in with
// OAUTHBEARER and XOAUTH2 tokens from the test IdP, every SASL mechanism, requireSSL before STARTTLS,
// a revoked OP session ending a live session, the script commands' RFC 5804 response codes and limits,
// and hostile input (a huge literal before login, garbage, over-long lines).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { DOMAIN, managesieveBlock, startTessera, withTimeout, writeE2eConf, writeManagesieveConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { storeResource } from '../../src/server/protocols.js';
import { pythonSieveSession, sieveConnect } from './clients.js';
import { literal, RawSieveClient } from './raw-client.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const DAVE = `dave@${DOMAIN}`;
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice sieve secret', [BOB]: 'bob-sieve-secret', [CAROL]: 'carol-sieve-secret', [DAVE]: 'dave-sieve-secret' };
const WAIT_MS = 10_000;
const MAX_SCRIPTS = 4;
const MAX_SCRIPT_SIZE = 8 * 1024;

const FILTER = 'require ["fileinto"];\r\nif header :contains "subject" "[list]" {\r\n  fileinto "Lists";\r\n}\r\n';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let port: number;
let tmp: string;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }, { email: CAROL }, { email: DAVE }] });
  conf = await writeE2eConf(idp);
  await appendFile(join(conf.confDir, 'tessera.properties'), `sieve.maxScripts=${MAX_SCRIPTS}\nsieve.maxScriptSize=${MAX_SCRIPT_SIZE}\n`);
  await writeManagesieveConf(conf, [
    managesieveBlock('sieve', idp, {
      plainAuthEnabled: true,
      extra: '<connectiontimeout>360</connectiontimeout><connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP>',
    }),
    `<managesieveserver enabled="true">
        <jmxName>sieves</jmxName>
        <bind>127.0.0.1:0</bind>
        <tls socketTLS="true" startTLS="false"/>
        <maxmessagesize>1</maxmessagesize>
        <auth><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL></auth>
    </managesieveserver>`,
  ]);
  srv = await startTessera(conf);
  port = listenerPort(srv.running, 'sieve');
  idp.setClientMetadata({ backchannel_logout_uri: `${srv.endpoints.jmap}/oidc/backchannel-logout`, backchannel_logout_session_required: true });
  for (const [user, password] of Object.entries(PASSWORDS)) await srv.running.context.users.add(user, password);
  tmp = await mkdtemp(join(tmpdir(), 'tessera-sieve-'));
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A raw session logged in with PLAIN after STARTTLS. */
async function login(user: string): Promise<RawSieveClient> {
  const { client } = await RawSieveClient.connect(port);
  await client.startTls();
  const r = await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${user}\0${PASSWORDS[user]}`)}"`);
  assert.match(r.status, /^OK/, r.status);
  return client;
}

describe('ManageSieve with sieve-connect', () => {
  it('uploads, activates, lists and downloads a script over STARTTLS with a password', async () => {
    const local = join(tmp, 'vacation-filter.sieve');
    await writeFile(local, FILTER);
    const up = await sieveConnect(port, ALICE, PASSWORDS[ALICE]!, ['--authmech', 'PLAIN', '--upload', '--localsieve', local, '--remotesieve', 'filter']);
    assert.equal(up.code, 0, `upload failed: ${up.stderr}`);
    const act = await sieveConnect(port, ALICE, PASSWORDS[ALICE]!, ['--authmech', 'PLAIN', '--activate', '--remotesieve', 'filter']);
    assert.equal(act.code, 0, `activate failed: ${act.stderr}`);
    const list = await sieveConnect(port, ALICE, PASSWORDS[ALICE]!, ['--list']);
    assert.equal(list.code, 0, `list failed: ${list.stderr}`);
    assert.match(list.stdout, /^"filter" ACTIVE$/m);
    const back = join(tmp, 'downloaded.sieve');
    const down = await sieveConnect(port, ALICE, PASSWORDS[ALICE]!, ['--download', '--remotesieve', 'filter', '--localsieve', back]);
    assert.equal(down.code, 0, `download failed: ${down.stderr}`);
    assert.equal(await readFile(back, 'utf8'), FILTER);
    const active = await (await srv.running.context.use(storeResource)).getActiveSieveScript(ALICE);
    assert.equal(active?.content, FILTER, 'the script delivery runs is the one uploaded');
    const wrong = await sieveConnect(port, ALICE, 'not the password', ['--authmech', 'PLAIN', '--list']);
    assert.notEqual(wrong.code, 0, 'a wrong password is refused');
  });
});

describe('ManageSieve over a raw Python socket with OIDC tokens', () => {
  for (const mechanism of ['OAUTHBEARER', 'XOAUTH2'] as const) {
    it(`logs in with ${mechanism} and a token from the provider, stores and activates a script`, async () => {
      const token = await idp.accessToken(BOB);
      const initial = mechanism === 'OAUTHBEARER' ? `n,a=${BOB},\x01auth=Bearer ${token}\x01\x01` : `user=${BOB}\x01auth=Bearer ${token}\x01\x01`;
      const name = `by-${mechanism.toLowerCase()}`;
      const r = await pythonSieveSession({ port, mechanism, initial, name, script: FILTER });
      assert.ok(r.greeting.includes('"STARTTLS"'), r.greeting.join(' | '));
      assert.ok(r.greeting.includes('"SASL" ""'), 'nothing is advertised before STARTTLS under requireSSL');
      assert.ok(r.capabilities.some((l) => /^"SASL" ".*OAUTHBEARER.*"$/.test(l) && l.includes('XOAUTH2') && l.includes('PLAIN')), r.capabilities.join(' | '));
      assert.ok(!r.capabilities.includes('"STARTTLS"'));
      assert.ok(r.capabilities.some((l) => l.startsWith('"SIEVE" "') && l.includes('fileinto')));
      assert.match(r.authenticate, /^OK/);
      assert.match(r.putscript!, /^OK/);
      assert.match(r.setactive!, /^OK/);
      assert.ok(r.list!.includes(`"${name}" ACTIVE`), r.list!.join(' | '));
      assert.equal(r.getscript, FILTER);
      assert.match(r.logout, /^OK/);
    });
  }

  it('refuses a bad token', async () => {
    const r = await pythonSieveSession({ port, mechanism: 'OAUTHBEARER', initial: `n,a=${BOB},\x01auth=Bearer not-a-token\x01\x01`, name: 'x', script: 'keep;' });
    assert.match(r.authenticate, /^NO "Authentication failed"/);
    assert.ok(r.challenge && JSON.parse(Buffer.from(r.challenge.replace(/"/g, ''), 'base64').toString('utf8')).status, 'an RFC 7628 error challenge came first');
    assert.equal(r.putscript, undefined);
  });
});

describe('ManageSieve SASL', () => {
  it('every mechanism logs in: PLAIN with and without initial response, LOGIN, OAUTHBEARER, XOAUTH2 (also as literals)', async () => {
    const token = await idp.accessToken(CAROL);
    const exchanges: Array<[string, string[]]> = [
      [`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`, []],
      ['AUTHENTICATE "PLAIN"', [`"${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`]],
      ['AUTHENTICATE "LOGIN"', [`"${b64(CAROL)}"`, literal(b64(PASSWORDS[CAROL]!))]],
      [`AUTHENTICATE "OAUTHBEARER" ${literal(b64(`n,a=${CAROL},\x01auth=Bearer ${token}\x01\x01`))}`, []],
      [`AUTHENTICATE "XOAUTH2" "${b64(`user=${CAROL}\x01auth=Bearer ${token}\x01\x01`)}"`, []],
    ];
    for (const [command, responses] of exchanges) {
      const { client } = await RawSieveClient.connect(port);
      await client.startTls();
      client.send(`${command}\r\n`);
      for (const response of responses) {
        assert.match(await client.line(), /^"[A-Za-z0-9+/=]*"$/, `${command}: a challenge string`);
        client.send(`${response}\r\n`);
      }
      const r = await client.response();
      assert.match(r.status, /^OK/, `${command}: ${r.status}`);
      const caps = await client.command('CAPABILITY');
      assert.ok(caps.lines.includes(`"OWNER" "${CAROL}"`), caps.lines.join(' | '));
      assert.match((await client.command('LOGOUT')).status, /^OK/);
      await withTimeout(client.closed, WAIT_MS, 'the connection to close after LOGOUT');
    }
  });

  it('refuses a wrong password, an aborted exchange and an unknown mechanism, then logs in', async () => {
    const { client } = await RawSieveClient.connect(port);
    await client.startTls();
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0wrong`)}"`)).status, /^NO "Authentication failed"/);
    client.send('AUTHENTICATE "LOGIN"\r\n');
    await client.line();
    assert.match((await client.command('"*"')).status, /^NO "Authentication aborted"/);
    assert.match((await client.command('AUTHENTICATE "CRAM-MD5"')).status, /^NO /);
    assert.match((await client.command('LISTSCRIPTS')).status, /^NO "Authenticate first"/);
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`)).status, /^OK/);
    client.close();
  });

  it('under requireSSL, refuses credentials before STARTTLS with ENCRYPT-NEEDED and takes them after', async () => {
    const { client, greeting } = await RawSieveClient.connect(port);
    assert.ok(greeting.lines.includes('"SASL" ""') && greeting.lines.includes('"STARTTLS"'), greeting.lines.join(' | '));
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`)).status, /^NO \(ENCRYPT-NEEDED\)/);
    const token = await idp.accessToken(CAROL);
    assert.match((await client.command(`AUTHENTICATE "XOAUTH2" "${b64(`user=${CAROL}\x01auth=Bearer ${token}\x01\x01`)}"`)).status, /^NO \(ENCRYPT-NEEDED\)/);
    const caps = await client.startTls();
    assert.match(caps.status, /^OK/);
    assert.ok(caps.lines.some((l) => l.startsWith('"SASL" "') && l.includes('PLAIN')));
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`)).status, /^OK/);
    client.close();
  });

  it('ends a live token session when its OP session is revoked', async () => {
    const issued = await idp.issueToken(CAROL);
    assert.ok(issued.sid);
    const { client } = await RawSieveClient.connect(port);
    await client.startTls();
    const ir = b64(`n,a=${CAROL},\x01auth=Bearer ${issued.accessToken}\x01\x01`);
    assert.match((await client.command(`AUTHENTICATE "OAUTHBEARER" "${ir}"`)).status, /^OK/);
    await idp.endSession(issued.sid);
    assert.match(await client.line(), /^BYE /);
    await withTimeout(client.closed, WAIT_MS, 'the ManageSieve session to be closed');
    const again = await RawSieveClient.connect(port);
    await again.client.startTls();
    assert.match((await again.client.command(`AUTHENTICATE "OAUTHBEARER" "${ir}"`)).status, /^NO/, 'the revoked token no longer logs in');
    again.client.close();
  });
});

describe('ManageSieve script commands', () => {
  it('answers with the RFC 5804 response codes and keeps to the limits', async () => {
    const client = await login(DAVE);
    assert.match((await client.command(`PUTSCRIPT "a" ${literal('keep;\r\n')}`)).status, /^OK/);
    assert.match((await client.command(`CHECKSCRIPT ${literal('keep;')}`)).status, /^OK/);
    const bad = await client.command(`PUTSCRIPT "broken" ${literal('require "fileinto";\r\nif true {\r\n  fileinto ;\r\n}\r\n')}`);
    assert.match(bad.status, /^NO "?line 3, column \d+: /, bad.status);
    assert.match((await client.command(`CHECKSCRIPT ${literal('frobnicate;')}`)).status, /^NO /);
    assert.match((await client.command('GETSCRIPT "broken"')).status, /^NO \(NONEXISTENT\)/);
    assert.match((await client.command('SETACTIVE "a"')).status, /^OK/);
    assert.match((await client.command('DELETESCRIPT "a"')).status, /^NO \(ACTIVE\)/);
    assert.match((await client.command(`PUTSCRIPT "b" "stop;"`)).status, /^OK/);
    assert.match((await client.command('RENAMESCRIPT "b" "a"')).status, /^NO \(ALREADYEXISTS\)/);
    assert.match((await client.command('RENAMESCRIPT "zz" "y"')).status, /^NO \(NONEXISTENT\)/);
    assert.match((await client.command('RENAMESCRIPT "a" "main"')).status, /^OK/);
    assert.deepEqual((await client.command('LISTSCRIPTS')).lines.sort(), ['"b"', '"main" ACTIVE']);
    assert.match((await client.command(`HAVESPACE "c" ${MAX_SCRIPT_SIZE + 1}`)).status, /^NO \(QUOTA\/MAXSIZE\)/);
    assert.match((await client.command(`HAVESPACE "c" 100`)).status, /^OK/);
    for (const n of ['c', 'd']) assert.match((await client.command(`PUTSCRIPT "${n}" "keep;"`)).status, /^OK/);
    assert.match((await client.command(`HAVESPACE "e" 10`)).status, /^NO \(QUOTA\/MAXSCRIPTS\)/);
    assert.match((await client.command(`HAVESPACE "d" 10`)).status, /^OK/, 'replacing a script needs no new slot');
    assert.match((await client.command(`PUTSCRIPT "e" "keep;"`)).status, /^NO \(QUOTA\/MAXSCRIPTS\)/);
    // Too large: the literal's octets are read and dropped, and the session goes on.
    const big = `# ${'x'.repeat(MAX_SCRIPT_SIZE + 10)}\r\nkeep;\r\n`;
    assert.match((await client.command(`PUTSCRIPT "c" ${literal(big)}`)).status, /^NO \(QUOTA\/MAXSIZE\)/);
    client.send(Buffer.concat([Buffer.from('PUTSCRIPT "c" {4+}\r\n'), Buffer.from([0x6b, 0xff, 0xfe, 0x3b]), Buffer.from('\r\n')]));
    assert.match((await client.response()).status, /^NO "Script is not valid UTF-8"/);
    assert.match((await client.command('GETSCRIPT "c"')).lines.join(''), /^keep;$/);
    assert.match((await client.command('SETACTIVE ""')).status, /^OK/);
    assert.equal(await (await srv.running.context.use(storeResource)).getActiveSieveScript(DAVE), null);
    assert.match((await client.command('DELETESCRIPT "main"')).status, /^OK/);
    assert.match((await client.command('NOOP "tag-1"')).status, /^OK \(TAG "tag-1"\)/);
    assert.match((await client.command('PUTSCRIPT "bad\u0001name" "keep;"')).status, /^NO "Invalid script name"/);
    assert.match((await client.command('UNAUTHENTICATE')).status, /^OK/);
    assert.match((await client.command('LISTSCRIPTS')).status, /^NO "Authenticate first"/);
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${CAROL}\0${PASSWORDS[CAROL]}`)}"`)).status, /^OK/);
    assert.ok(!(await client.command('LISTSCRIPTS')).lines.includes('"c"'), "after UNAUTHENTICATE another user sees only their own scripts");
    client.close();
  });
});

describe('ManageSieve over implicit TLS', () => {
  it('offers SASL at once, no STARTTLS, and bounds uploads by the listener\'s <maxmessagesize>', async () => {
    const { client, greeting } = await RawSieveClient.connect(listenerPort(srv.running, 'sieves'), { tls: true });
    assert.ok(greeting.lines.some((l) => /^"SASL" ".*PLAIN.*"$/.test(l)), greeting.lines.join(' | '));
    assert.ok(!greeting.lines.includes('"STARTTLS"'));
    assert.match((await client.command('STARTTLS')).status, /^NO/);
    assert.match((await client.command(`AUTHENTICATE "PLAIN" "${b64(`\0${ALICE}\0${PASSWORDS[ALICE]}`)}"`)).status, /^OK/);
    assert.match((await client.command('HAVESPACE "big" 1025')).status, /^NO \(QUOTA\/MAXSIZE\)/, '1 KB on this listener');
    assert.match((await client.command(`PUTSCRIPT "big" ${literal(`# ${'y'.repeat(1100)}\r\nkeep;\r\n`)}`)).status, /^NO \(QUOTA\/MAXSIZE\)/);
    assert.match((await client.command(`PUTSCRIPT "small" ${literal('keep;\r\n')}`)).status, /^OK/);
    assert.match((await client.command('LOGOUT')).status, /^OK/);
  });
});

describe('ManageSieve against hostile input', () => {
  it('closes the connection at a huge literal before login, without reading it', async () => {
    const { client } = await RawSieveClient.connect(port);
    const r = await client.command('AUTHENTICATE "PLAIN" {4000000000+}');
    assert.match(r.status, /^BYE /);
    await withTimeout(client.closed, WAIT_MS, 'the connection to close');
  });

  it('answers an over-long line with NO without holding it, and goes on', async () => {
    const { client } = await RawSieveClient.connect(port);
    client.send(Buffer.alloc(200 * 1024, 'A'));
    client.send('\r\n');
    assert.equal((await client.response()).status, 'NO "Line too long"');
    assert.match((await client.command('CAPABILITY')).status, /^OK/);
    client.close();
  });

  it('answers garbage with NO and closes after too many errors', async () => {
    const { client } = await RawSieveClient.connect(port);
    const junk = ['\x00\x01\x02', 'HELO there', '"unterminated', '{12', 'PUTSCRIPT', '{5+} trailing', 'é€', '\\'].map((l) => `${l}\r\n`);
    client.send(Buffer.concat(Array.from({ length: 5 }, () => Buffer.from(junk.join(''), 'utf8'))));
    const statuses: string[] = [];
    for (;;) {
      const r = await client.response();
      statuses.push(r.status);
      if (r.status.startsWith('BYE')) break;
    }
    assert.ok(statuses.slice(0, -1).every((s) => s.startsWith('NO ')), statuses.join(' | '));
    assert.match(statuses.at(-1)!, /^BYE "Too many errors/);
    await withTimeout(client.closed, WAIT_MS, 'the connection to close');
  });
});
