// jmap.properties written with Apache James' own authentication keys, run by a whole Tessera against
// a real OpenID provider: James' OidcAuthenticationStrategy keys (oidc.introspect.url,
// oidc.introspect.credentials, oidc.userInfo.url, oidc.claim, oidc.audience, oidc.token.cache.*)
// check opaque access tokens by introspection (and userinfo, when James' file names it), and a token
// the provider revokes stops working and ends the session's push stream; James' X-User example
// (Basic plus X-User with authentication.strategy.rfc8621.xUser.secret, no trusted proxies) lets a
// gateway that sends the secret name the user, and nobody else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolFactories } from '../../src/server/protocols.js';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { withDeadline } from '../support/wait.js';
import { CapturedOutput } from '../server/capture.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
/** Known to the provider only. */
const MALLORY = `mallory@${DOMAIN}`;

interface Tessera {
  running: RunningServer;
  jmap: string;
  log: CapturedOutput;
  dispose(): Promise<void>;
}

/** A conf directory with the given jmap.properties lines (plain HTTP on loopback, port 0). */
async function startWith(jmapLines: string[]): Promise<Tessera> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-james-jmap-'));
  const confDir = join(root, 'conf');
  await mkdir(confDir);
  const files: Record<string, string> = {
    'tessera.properties': [`data.dir=${join(root, 'var')}`, 'log.level=info', 'shutdown.timeout=2', 'devIdp.enabled=false', 'demo.seed=false', ''].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    'jmap.properties': ['enabled=true', 'jmap.host=127.0.0.1', 'jmap.port=0', 'auth.requireSSL=false', ...jmapLines, ''].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
  const log = new CapturedOutput();
  let running: RunningServer;
  try {
    running = await runServe({ confDir, factories: protocolFactories, io: { stdout: new CapturedOutput(), logDestination: log, env: {} } });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  await running.context.users.add(ALICE, 'alice secret 1');
  await running.context.users.add(BOB, 'bob secret 1');
  return {
    running,
    jmap: `http://127.0.0.1:${listenerPort(running, 'jmap')}`,
    log,
    dispose: async () => {
      await running.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** GET /jmap/session with `headers`: the status and, on success, the session's username. */
async function session(t: Tessera, headers: Record<string, string>): Promise<{ status: number; username?: string }> {
  const res = await fetch(`${t.jmap}/jmap/session`, { headers });
  if (res.status !== 200) {
    await res.arrayBuffer();
    return { status: res.status };
  }
  const body = (await res.json()) as { username?: string };
  return { status: 200, username: body.username };
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** James' OidcAuthenticationStrategy with introspection at `idp` (no userinfo), plus `extra` lines. */
function introspectionOnly(idp: TestIdp, extra: string[]): string[] {
  return [
    'authentication.strategy.rfc8621=OidcAuthenticationStrategy',
    `oidc.introspect.url=${idp.introspectionUrl}`,
    `oidc.introspect.credentials=${idp.clientAuthorization}`,
    'oidc.claim=email',
    ...extra,
  ];
}

describe("James' OidcAuthenticationStrategy keys with userinfo, and James' X-User example, in one jmap.properties", () => {
  let idp: TestIdp;
  let tessera: Tessera;

  before(async () => {
    // Tokens for the userinfo endpoint (no audience), as a client that asks for no resource gets.
    idp = await startTestIdp({ users: [{ email: ALICE }, { email: MALLORY }], userinfoTokens: true });
    tessera = await startWith([
      'authentication.strategy.rfc8621=BasicAuthenticationStrategy,OidcAuthenticationStrategy,XUserAuthenticationStrategy',
      `oidc.userInfo.url=${idp.userinfoUrl}`,
      `oidc.introspect.url=${idp.introspectionUrl}`,
      `oidc.introspect.credentials=${idp.clientAuthorization}`,
      'oidc.claim=email',
      'oidc.token.cache.expiration=5m',
      'oidc.token.cache.maxSize=10000',
      'authentication.strategy.rfc8621.xUser.secret=xusersecret123,next-secret',
    ]);
  });

  after(async () => {
    await tessera?.dispose();
    await idp?.close();
  });

  test('starts with no warning about any of these keys', () => {
    // The start-up check's clear-text line is about plain HTTP (no TLS in this test), not about a key.
    const warned = tessera.log.text().split('\n').filter((l) => l.includes('"level":40') && l.includes('jmap.properties') && !l.includes('CLEAR-TEXT CREDENTIALS'));
    assert.deepEqual(warned, []);
  });

  test('an opaque token that introspection and userinfo both accept opens the session of the userinfo email', async () => {
    const token = await idp.accessToken(ALICE);
    idp.resetRequestCounts();
    assert.deepEqual(await session(tessera, bearer(token)), { status: 200, username: ALICE });
    assert.equal(idp.requestCount('/token/introspection'), 1);
    assert.equal(idp.requestCount('/me'), 1);
  });

  test('a valid token of a user Tessera does not have, and a made-up token, get 401', async () => {
    assert.equal((await session(tessera, bearer(await idp.accessToken(MALLORY)))).status, 401);
    assert.equal((await session(tessera, bearer('not-a-token-the-provider-issued'))).status, 401);
  });

  test('X-User with a secret from the comma list names the user; nothing else does', async () => {
    assert.deepEqual(await session(tessera, { 'X-User': BOB, 'X-User-Secret': 'xusersecret123' }), { status: 200, username: BOB });
    assert.deepEqual(await session(tessera, { 'X-User': ALICE, 'X-User-Secret': 'next-secret' }), { status: 200, username: ALICE });
    assert.equal((await session(tessera, { 'X-User': BOB, 'X-User-Secret': 'xusersecret124' })).status, 401, 'wrong secret');
    assert.equal((await session(tessera, { 'X-User': BOB, 'X-User-Secret': 'xusersecret123x' })).status, 401, 'longer secret');
    assert.equal((await session(tessera, { 'X-User': BOB })).status, 401, 'no secret');
    assert.equal((await session(tessera, { 'X-User': MALLORY, 'X-User-Secret': 'xusersecret123' })).status, 401, 'unknown user');
  });

  test('Basic still works beside them', async () => {
    const basic = `Basic ${Buffer.from(`${BOB}:bob secret 1`).toString('base64')}`;
    assert.deepEqual(await session(tessera, { Authorization: basic }), { status: 200, username: BOB });
  });

  test('the X-User secret and the tokens never reach the log', () => {
    assert.equal(tessera.log.text().includes('xusersecret123'), false);
    assert.equal(tessera.log.text().includes('next-secret'), false);
  });
});

describe("James' OidcAuthenticationStrategy keys with an audience: opaque tokens by introspection alone", () => {
  let idp: TestIdp;
  let tessera: Tessera;

  before(async () => {
    idp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    tessera = await startWith(
      introspectionOnly(idp, [
        `oidc.audience=${idp.audience}`,
        // Tessera's own key: re-introspect live sessions every second (default 300 s).
        'oidc.revalidateInterval=1',
      ]),
    );
  });

  after(async () => {
    await tessera?.dispose();
    await idp?.close();
  });

  test('a token for the configured audience opens a session; a token the provider revoked ends its push stream and gets 401', async () => {
    const token = await idp.accessToken(ALICE);
    assert.deepEqual(await session(tessera, bearer(token)), { status: 200, username: ALICE });
    const stream = await fetch(`${tessera.jmap}/eventSource?types=*&closeafter=no&ping=0`, { headers: { ...bearer(token), Accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // a reset is an end too
      }
    })();
    await idp.revoke(token);
    await withDeadline(ended, 8000, 'the EventSource stream of the revoked token to end');
    assert.equal((await session(tessera, bearer(token))).status, 401);
  });
});

describe("James' OidcAuthenticationStrategy keys checking an audience the tokens do not carry", () => {
  let idp: TestIdp;
  let tessera: Tessera;

  before(async () => {
    idp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    tessera = await startWith(introspectionOnly(idp, ['oidc.audience=james']));
  });

  after(async () => {
    await tessera?.dispose();
    await idp?.close();
  });

  test('refuses the token (401), as the audience check James reads from oidc.audience requires', async () => {
    assert.equal((await session(tessera, bearer(await idp.accessToken(ALICE)))).status, 401);
  });
});
