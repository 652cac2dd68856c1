// Revocation end to end: a real oidc-provider sends OpenID Connect back-channel logout to a full
// Tessera (`runServe` with every protocol factory). One OP session is logged in over IMAP (IDLE),
// SMTP (mid-transaction) and JMAP (EventSource); ending it at the provider closes all three within a
// second and the token stops working. Forged logout tokens touch nothing; re-introspection ends a
// session whose opaque token the provider revoked; `tessera sessions` lists and revokes; and a
// restart does not forget a revocation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { protocolFactories } from '../../src/server/protocols.js';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { BACKCHANNEL_LOGOUT_PATH } from '../../src/sessions/index.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/sessions/logout-token.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { jmapProperties, listenerPort, oidcXml } from '../support/tessera-conf.js';
import { CapturedOutput } from '../server/capture.js';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { cli } from '../cli/in-process.js';
import { within } from './helpers.js';
import { imapIdle, imapLogin } from './imap-login.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;

let root: string;
let confDir: string;
let idp: TestIdp;
/** Issues opaque tokens, checked by introspection and re-introspected every second. */
let opaqueIdp: TestIdp;
let tessera: Tessera | undefined;
/** The token of the OP session ended in the first test (refused from then on, also after a restart). */
let revokedToken: string | undefined;

interface Tessera {
  running: RunningServer;
  imap: number;
  imapIntrospect: number;
  smtp: number;
  jmap: string;
  log: CapturedOutput;
}

function imapBlock(name: string, oidc: string): string {
  return `
  <imapserver enabled="true">
    <jmxName>${name}</jmxName>
    <bind>127.0.0.1:0</bind>
    <tls socketTLS="false" startTLS="false"/>
    <auth>
      <plainAuthEnabled>false</plainAuthEnabled>
      <requireSSL>false</requireSSL>
      ${oidc}
    </auth>
    <tokenExpiry action="ignore"/>
  </imapserver>`;
}

async function writeConf(dataDir: string): Promise<void> {
  const jwtOidc = oidcXml(idp);
  const opaqueOidc = oidcXml(opaqueIdp, { introspect: true, revalidateInterval: 1 });
  const files: Record<string, string> = {
    'tessera.properties': [`data.dir=${dataDir}`, 'log.level=info', 'shutdown.timeout=2', 'devIdp.enabled=false', 'demo.seed=false', ''].join('\n'),
    'domainlist.xml': `<domainlist>
  <domainnames><domainname>${DOMAIN}</domainname></domainnames>
  <defaultDomain>${DOMAIN}</defaultDomain>
</domainlist>\n`,
    'usersrepository.xml': `<usersrepository name="LocalUsers" class="embedded">
  <enableVirtualHosting>true</enableVirtualHosting>
</usersrepository>\n`,
    // Clear-text loopback listeners taking tokens only: the test is about sessions, not TLS.
    'imapserver.xml': `<imapservers>${imapBlock('imap', jwtOidc)}${imapBlock('imap-introspect', opaqueOidc)}\n</imapservers>\n`,
    'smtpserver.xml': `<smtpservers>
  <smtpserver enabled="true">
    <jmxName>submission</jmxName>
    <bind>127.0.0.1:0</bind>
    <tls socketTLS="false" startTLS="false"/>
    <helloName autodetect="false">mail.${DOMAIN}</helloName>
    <auth>
      <announce>always</announce>
      <requireAuthForRelay>true</requireAuthForRelay>
      <plainAuthEnabled>false</plainAuthEnabled>
      <requireSSL>false</requireSSL>
      ${jwtOidc}
    </auth>
    <tokenExpiry action="ignore"/>
  </smtpserver>
</smtpservers>\n`,
    'jmap.properties': jmapProperties(idp, { strategies: 'jwt', plainAuthEnabled: false, tokenExpiry: 'ignore' }),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
}


async function startTessera(): Promise<Tessera> {
  const log = new CapturedOutput();
  const running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new CapturedOutput(), logDestination: log, env: {} } });
  const jmap = `http://127.0.0.1:${listenerPort(running, 'jmap')}`;
  // The provider posts logout tokens to wherever this Tessera's JMAP server listens now.
  idp.setClientMetadata({ backchannel_logout_uri: `${jmap}${BACKCHANNEL_LOGOUT_PATH}`, backchannel_logout_session_required: true });
  return { running, imap: listenerPort(running, 'imap'), imapIntrospect: listenerPort(running, 'imap-introspect'), smtp: listenerPort(running, 'submission'), jmap, log };
}

function server(): Tessera {
  if (!tessera) throw new Error('Tessera is not running');
  return tessera;
}

async function smtpAuth(user: string, token: string): Promise<{ client: RawSmtpClient; code: number; text: string }> {
  const { client } = await RawSmtpClient.connect(server().smtp);
  assert.equal((await client.command('EHLO client.test')).code, 250);
  const ir = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
  const r = await client.command(`AUTH XOAUTH2 ${ir}`);
  return { client, code: r.code, text: r.text };
}

async function jmapStatus(token: string): Promise<number> {
  const res = await fetch(`${server().jmap}/jmap`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: true }, '0']] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Opens an EventSource stream; `ended` resolves when the server closes it. */
async function openEventSource(token: string): Promise<{ ended: Promise<void>; cancel(): Promise<void> }> {
  const res = await fetch(`${server().jmap}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const ended = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return;
    } catch {
      return; // a reset is a close too
    }
  })();
  return { ended, cancel: () => reader.cancel().catch(() => undefined) };
}

function postLogout(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(`${server().jmap}${BACKCHANNEL_LOGOUT_PATH}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

async function postLogoutToken(token: string): Promise<number> {
  const res = await postLogout(new URLSearchParams({ logout_token: token }).toString());
  await res.arrayBuffer();
  return res.status;
}

/** Claims of a well-formed logout token from `idp` for `sid`, before any forgery. */
function logoutClaims(sid: string, overrides: JWTPayload = {}): JWTPayload {
  return { aud: idp.clientId, jti: randomUUID(), sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...overrides };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tessera-revocation-e2e-'));
  confDir = join(root, 'conf');
  await mkdir(confDir);
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  opaqueIdp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
  await writeConf(join(root, 'var'));
  tessera = await startTessera();
  await tessera.running.context.users.add(ALICE, 'alice secret 1');
  await tessera.running.context.users.add(BOB, 'bob secret 1');
});

after(async () => {
  await tessera?.running.stop();
  await idp?.close();
  await opaqueIdp?.close();
  await rm(root, { recursive: true, force: true });
});

test('ending the OP session closes IMAP IDLE, SMTP mid-transaction and JMAP EventSource within a second; the token no longer logs in', async () => {
  const issued = await idp.issueToken(ALICE);
  assert.ok(issued.sid, 'the provider puts the OP session id in the token');
  const token = issued.accessToken;

  const imap = await imapIdle(server().imap, ALICE, token);
  const smtp = await smtpAuth(ALICE, token);
  assert.equal(smtp.code, 235, smtp.text);
  assert.equal((await smtp.client.command(`MAIL FROM:<${ALICE}>`)).code, 250);
  const push = await openEventSource(token);
  // Bob, logged in with another OP session, must not be affected.
  const bob = await imapIdle(server().imap, BOB, await idp.accessToken(BOB));

  const imapBye = imap.readLine(5000);
  const smtpReply = smtp.client.read().catch((err: unknown) => ({ code: 0, lines: [], text: String(err) }));
  await idp.endSession(issued.sid);

  assert.match(await within(1000, imapBye, 'IMAP BYE'), /^\* BYE Session ended by the identity provider/);
  assert.ok(await imap.closedWithin(1000), 'IMAP connection closed');
  assert.match((await within(1000, smtpReply, 'SMTP 421')).text, /^421 4\.7\.0 /);
  await within(1000, smtp.client.closed, 'SMTP connection closed');
  await within(1000, push.ended, 'EventSource closed');

  const again = await imapLogin(server().imap, ALICE, token);
  assert.match(again.reply, /^a NO \[AUTHENTICATIONFAILED\]/);
  again.client.close();
  const smtpAgain = await smtpAuth(ALICE, token);
  assert.equal(smtpAgain.code, 535, smtpAgain.text);
  smtpAgain.client.close();
  assert.equal(await jmapStatus(token), 401);
  const sse = await fetch(`${server().jmap}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: `Bearer ${token}` } });
  await sse.arrayBuffer();
  assert.equal(sse.status, 401);

  // Bob's session is untouched, and a new OP session of Alice's works.
  bob.write('DONE\r\n');
  assert.match((await bob.until('i')).at(-1)!, /^i OK /);
  assert.match((await bob.command('n', 'NOOP')).at(-1)!, /^n OK /);
  bob.close();
  assert.equal(await jmapStatus(await idp.accessToken(ALICE)), 200);
  revokedToken = token;
});

test('forged, mis-addressed, incomplete and replayed logout tokens get 400 and end no session', async () => {
  const issued = await idp.issueToken(ALICE);
  const live = await imapIdle(server().imap, ALICE, issued.accessToken);
  live.write('DONE\r\n');
  await live.until('i');

  const foreignKey = (await generateKeyPair('RS256')).privateKey;
  const kid = (idp.publicKeys()[0] as { kid?: string }).kid;
  const now = Math.floor(Date.now() / 1000);
  const foreign = await new SignJWT({ iss: idp.issuer, iat: now, exp: now + 120, ...logoutClaims(issued.sid!) })
    .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', ...(kid ? { kid } : {}) })
    .sign(foreignKey);
  const genuine = await idp.signJwt(logoutClaims('some-other-sid'), { typ: 'logout+jwt' });
  const [head, , sig] = genuine.split('.');
  const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString()), sid: issued.sid })).toString('base64url');
  const tampered = `${head}.${tamperedPayload}.${sig}`;
  const wrongAud = await idp.signJwt(logoutClaims(issued.sid!, { aud: 'some-other-client' }), { typ: 'logout+jwt' });
  const noEvents = await idp.signJwt(logoutClaims(issued.sid!, { events: undefined }), { typ: 'logout+jwt' });

  assert.equal(await postLogoutToken(foreign), 400, 'signed with a key the provider never published');
  assert.equal(await postLogoutToken(tampered), 400, 'payload changed after signing');
  assert.equal(await postLogoutToken(wrongAud), 400, 'addressed to another client');
  assert.equal(await postLogoutToken(noEvents), 400, 'no back-channel logout event');
  assert.equal(await postLogoutToken('not.a.jwt'), 400);
  assert.equal((await postLogout('logout_token=x'.padEnd(100_000, 'x'))).status, 400, 'oversized body');
  // A genuine token for another OP session is accepted once; the same jti again is a replay.
  assert.equal(await postLogoutToken(genuine), 200);
  assert.equal(await postLogoutToken(genuine), 400, 'replayed jti');
  const get = await fetch(`${server().jmap}${BACKCHANNEL_LOGOUT_PATH}`);
  await get.arrayBuffer();
  assert.equal(get.status, 405);

  assert.match((await live.command('n', 'NOOP')).at(-1)!, /^n OK /, 'the live IMAP session is still usable');
  assert.equal(await jmapStatus(issued.accessToken), 200, 'the token still works');
  live.close();
});

test('re-introspection ends a session whose opaque token the provider reports inactive', async () => {
  const token = await opaqueIdp.accessToken(ALICE);
  const imap = await imapIdle(server().imapIntrospect, ALICE, token);
  const bye = imap.readLine(10_000);
  await opaqueIdp.revoke(token);
  // revalidateInterval is 1 s: the next pass finds the token inactive.
  assert.match(await within(8000, bye, 'BYE after re-introspection'), /^\* BYE Access token no longer active/);
  assert.ok(await imap.closedWithin(2000));
  const again = await imapLogin(server().imapIntrospect, ALICE, token);
  assert.match(again.reply, /^a NO /);
  again.client.close();
});

test('tessera sessions list shows the live IMAP session and revoke --user ends it', async () => {
  const imap = await imapIdle(server().imap, BOB, await idp.accessToken(BOB));
  const list = await cli(['sessions', 'list', '--json', '--conf', confDir]);
  assert.equal(list.code, 0, list.stderr);
  const sessions = list.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { protocol: string; user: string; mechanism: string });
  assert.ok(
    sessions.some((s) => s.protocol === 'imap' && s.user === BOB && s.mechanism === 'OAUTHBEARER'),
    list.stdout,
  );
  assert.ok(!list.stdout.includes('eyJ'), 'no access token is shown');
  const table = await cli(['sessions', 'list', '--conf', confDir]);
  assert.match(table.stdout, new RegExp(`imap\\s+${BOB.replace('.', '\\.')}\\s+OAUTHBEARER`));

  const bye = imap.readLine(5000);
  const revoke = await cli(['sessions', 'revoke', '--user', BOB, '--conf', confDir]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.match(await within(1000, bye, 'BYE after admin revoke'), /^\* BYE Session revoked by the administrator/);
  assert.ok(await imap.closedWithin(1000));
  const afterRevoke = await cli(['sessions', 'list', '--json', '--conf', confDir]);
  assert.ok(!afterRevoke.stdout.includes(BOB), afterRevoke.stdout);
});

test('after a restart on the same data directory the revoked token still does not log in', async () => {
  assert.ok(revokedToken, 'the first test revoked a token');
  await server().running.stop();
  tessera = undefined;
  tessera = await startTessera();
  const imap = await imapLogin(server().imap, ALICE, revokedToken);
  assert.match(imap.reply, /^a NO \[AUTHENTICATIONFAILED\]/);
  imap.client.close();
  const smtp = await smtpAuth(ALICE, revokedToken);
  assert.equal(smtp.code, 535, smtp.text);
  smtp.client.close();
  assert.equal(await jmapStatus(revokedToken), 401);
  // Refused because the revocation was remembered, not for any other reason (the token is still valid).
  assert.match(server().log.text(), /imap login refused: session revoked/);
  // A fresh OP session is not affected.
  const fresh = await imapLogin(server().imap, ALICE, await idp.accessToken(ALICE));
  assert.match(fresh.reply, /^a OK /);
  fresh.client.close();
});
