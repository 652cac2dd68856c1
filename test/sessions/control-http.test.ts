// Back-channel logout without JMAP: with jmap.properties absent (JMAP off), `tessera serve` serves
// POST /oidc/backchannel-logout on the control listener (tessera.properties control.http.bind). A
// real oidc-provider posts its signed logout token there when the user signs out, and the live IMAP
// session of that OP session ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolFactories } from '../../src/server/protocols.js';
import { CONTROL_HTTP_NAME } from '../../src/server/control-http.js';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { BACKCHANNEL_LOGOUT_PATH } from '../../src/sessions/index.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort, oidcXml } from '../support/tessera-conf.js';
import { CapturedOutput } from '../server/capture.js';
import { within } from './helpers.js';
import { imapIdle, imapLogin } from './imap-login.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;

let root: string;
let idp: TestIdp;
let running: RunningServer;
let control: string;
let imapPort: number;

async function writeConf(confDir: string, dataDir: string): Promise<void> {
  const files: Record<string, string> = {
    'tessera.properties': [`data.dir=${dataDir}`, 'log.level=info', 'shutdown.timeout=2', 'devIdp.enabled=false', 'demo.seed=false', 'control.http.bind=127.0.0.1:0', ''].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    // No jmap.properties: JMAP is not served.
    'imapserver.xml': `<imapservers>
  <imapserver enabled="true">
    <jmxName>imap</jmxName>
    <bind>127.0.0.1:0</bind>
    <tls socketTLS="false" startTLS="false"/>
    <auth>
      <plainAuthEnabled>false</plainAuthEnabled>
      <requireSSL>false</requireSSL>
      ${oidcXml(idp)}
    </auth>
    <tokenExpiry action="ignore"/>
  </imapserver>
</imapservers>\n`,
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tessera-control-http-'));
  const confDir = join(root, 'conf');
  await mkdir(confDir);
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  await writeConf(confDir, join(root, 'var'));
  running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new CapturedOutput(), logDestination: new CapturedOutput(), env: {} } });
  await running.context.users.add(ALICE, 'alice secret 1');
  control = `http://127.0.0.1:${listenerPort(running, CONTROL_HTTP_NAME)}`;
  imapPort = listenerPort(running, 'imap');
  idp.setClientMetadata({ backchannel_logout_uri: `${control}${BACKCHANNEL_LOGOUT_PATH}`, backchannel_logout_session_required: true });
});

after(async () => {
  await running?.stop();
  await idp?.close();
  await rm(root, { recursive: true, force: true });
});

test('JMAP is off, and the control listener serves only the back-channel logout route', async () => {
  assert.ok(!running.servers.some((s) => s.name === 'jmap'), 'no JMAP server');
  const get = await fetch(`${control}${BACKCHANNEL_LOGOUT_PATH}`);
  await get.arrayBuffer();
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const other = await fetch(`${control}/jmap`, { method: 'POST', body: '{}' });
  await other.arrayBuffer();
  assert.equal(other.status, 404);
  const forged = await fetch(`${control}${BACKCHANNEL_LOGOUT_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'logout_token=not.a.jwt',
  });
  await forged.arrayBuffer();
  assert.equal(forged.status, 400);
});

test('signing out at the provider ends the live IMAP session through the control listener', async () => {
  const issued = await idp.issueToken(ALICE);
  assert.ok(issued.sid, 'the token names its OP session');
  const client = await imapIdle(imapPort, ALICE, issued.accessToken);

  const bye = client.readLine(5000);
  await idp.endSession(issued.sid);
  assert.match(await within(1000, bye, 'IMAP BYE'), /^\* BYE Session ended by the identity provider/);
  assert.ok(await client.closedWithin(1000), 'IMAP connection closed');

  const again = await imapLogin(imapPort, ALICE, issued.accessToken);
  assert.match(again.reply, /^a NO \[AUTHENTICATIONFAILED\]/);
  again.client.close();
});
