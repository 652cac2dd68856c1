// JMAP authentication strategies: X-User trusted with the shared secret (James' xUser.secret) and/or
// only from configured proxies, configuration errors, challenge lists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/logger.js';
import { XUserMisconfiguredError, XUserStrategy } from '../../src/jmap/auth/xuser.js';
import { jmapConfig, startHarness, USING, type Harness } from './harness.js';
import { captureLogger } from '../support/capture-logger.js';

test('X-User with neither trusted proxies nor a secret is a start-up error naming the keys', () => {
  const users = { lookup: async () => undefined };
  assert.throws(
    () => new XUserStrategy({ headerName: 'X-User', trustedProxies: [], secrets: [] }, users, createLogger('silent'), 'conf/jmap.properties'),
    (err: unknown) =>
      err instanceof XUserMisconfiguredError && /conf\/jmap\.properties/.test(err.message) && /xUser\.secret/.test(err.message) && /trustedProxies/.test(err.message),
  );
});


async function session(h: Harness, headers: Record<string, string>): Promise<Response> {
  return fetch(`${h.url}/jmap/session`, { headers });
}

describe('X-User from a trusted proxy', () => {
  let trusted: Harness;
  let untrusted: Harness;
  let secret: Harness;
  let secretOnly: Harness;
  let secretElsewhere: Harness;
  const untrustedLog = captureLogger();
  const secretElsewhereLog = captureLogger();
  before(async () => {
    trusted = await startHarness({ config: { strategies: ['xuser', 'basic'], xUser: { headerName: 'X-User', trustedProxies: ['127.0.0.0/8'], secrets: [] } } });
    untrusted = await startHarness({
      logger: untrustedLog.logger,
      config: { strategies: ['xuser', 'basic'], xUser: { headerName: 'X-User', trustedProxies: ['10.0.0.0/8', '2001:db8::/32'], secrets: [] } },
    });
    secret = await startHarness({ config: { strategies: ['xuser'], xUser: { headerName: 'X-Forwarded-User', trustedProxies: ['127.0.0.1/32'], secrets: ['s3cret', 'other'] } } });
    secretOnly = await startHarness({ config: { strategies: ['xuser', 'basic'], xUser: { headerName: 'X-User', trustedProxies: [], secrets: ['s3cret'] } } });
    secretElsewhere = await startHarness({
      logger: secretElsewhereLog.logger,
      config: { strategies: ['xuser'], xUser: { headerName: 'X-User', trustedProxies: ['10.0.0.0/8'], secrets: ['s3cret'] } },
    });
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
    await secret.close();
    await secretOnly.close();
    await secretElsewhere.close();
  });

  test("a secret alone, as in James' example, is enough from any peer; without it the header is ignored", async () => {
    const ok = await session(secretOnly, { 'X-User': 'alice@example.com', 'X-User-Secret': 's3cret' });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { username: string }).username, 'alice@example.com');
    assert.equal((await session(secretOnly, { 'X-User': 'alice@example.com' })).status, 401);
    assert.equal((await session(secretOnly, { 'X-User': 'alice@example.com', 'X-User-Secret': 's3cre' })).status, 401);
    assert.equal((await session(secretOnly, { 'X-User': 'alice@example.com', 'X-User-Secret': 'S3CRET' })).status, 401, 'secrets are compared exactly');
    assert.equal((await session(secretOnly, { Authorization: secretOnly.basic('alice@example.com') })).status, 200, 'Basic still applies');
  });

  test('with both a secret and trusted proxies, the secret does not stand in for the address', async () => {
    assert.equal((await session(secretElsewhere, { 'X-User': 'alice@example.com', 'X-User-Secret': 's3cret' })).status, 401);
    assert.ok(secretElsewhereLog.lines.some((l) => /untrusted peer/.test(l)));
  });

  test('is accepted from a peer in trustedProxies', async () => {
    const res = await session(trusted, { 'X-User': 'alice@example.com' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { username: string }).username, 'alice@example.com');
    const api = await fetch(`${trusted.url}/jmap`, {
      method: 'POST',
      headers: { 'X-User': 'alice@example.com', 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls: [['Core/echo', { ok: 1 }, '0']] }),
    });
    assert.equal(api.status, 200);
  });

  test('the same request from an untrusted peer is refused and logged', async () => {
    const res = await session(untrusted, { 'X-User': 'alice@example.com' });
    assert.equal(res.status, 401);
    assert.ok(untrustedLog.lines.some((l) => /untrusted peer/.test(l) && /127\.0\.0\.1/.test(l)));
    // Other strategies still work from that peer.
    assert.equal((await session(untrusted, { Authorization: untrusted.basic('alice@example.com') })).status, 200);
  });

  test('an unknown user is refused even from a trusted peer', async () => {
    assert.equal((await session(trusted, { 'X-User': 'mallory@example.com' })).status, 401);
  });

  test('with secrets configured, X-User-Secret must match one', async () => {
    assert.equal((await session(secret, { 'X-Forwarded-User': 'bob@example.com' })).status, 401);
    assert.equal((await session(secret, { 'X-Forwarded-User': 'bob@example.com', 'X-User-Secret': 'wrong' })).status, 401);
    assert.equal((await session(secret, { 'X-Forwarded-User': 'bob@example.com', 'X-User-Secret': 'other' })).status, 200);
    const res = await session(secret, { 'X-User': 'bob@example.com', 'X-User-Secret': 's3cret' });
    assert.equal(res.status, 401, 'the configured header name is the only one honoured');
    assert.match(res.headers.get('www-authenticate') ?? '', /X-Forwarded-User realm="tessera"/);
  });
});

test('Basic is not announced when plain auth is disabled', async () => {
  const h = await startHarness({ config: { strategies: ['basic', 'oidc'], auth: { plainAuthEnabled: false, requireSSL: false } } });
  try {
    const res = await session(h, { Authorization: h.basic('alice@example.com') });
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.doesNotMatch(challenge, /Basic/);
    assert.match(challenge, /Bearer/);
  } finally {
    await h.close();
  }
});

test('jmapConfig default used by the tests is valid', () => {
  assert.equal(jmapConfig().strategies[0], 'basic');
});

test('Basic checks the repository on every request: a password change applies at once', async () => {
  const { AuthService } = await import('../../src/auth/service.js');
  const { MemoryUsersRepository } = await import('../support/memory-users.js');
  const { BasicStrategy } = await import('../../src/jmap/auth/basic.js');
  const users = new MemoryUsersRepository({ 'carol@example.com': 'old-pw' });
  const basic = new BasicStrategy(new AuthService({ users, logger: createLogger('silent') }), { plainAuthEnabled: true, requireSSL: false });
  const req = (pw: string) => ({ headers: { authorization: 'Basic ' + Buffer.from(`carol@example.com:${pw}`).toString('base64') }, peer: '127.0.0.1', secure: false });
  assert.equal((await basic.authenticate(req('old-pw'))).kind, 'accepted');
  assert.equal((await basic.authenticate(req('wrong'))).kind, 'refused');
  await users.setPassword('carol@example.com', 'new-pw');
  assert.equal((await basic.authenticate(req('old-pw'))).kind, 'refused');
  assert.equal((await basic.authenticate(req('new-pw'))).kind, 'accepted');
});

test('under requireSSL a Bearer token over plain HTTP is refused before it is checked; without requireSSL it is accepted', async () => {
  const { startTestIdp } = await import('../support/oidc-provider.js');
  const idp = await startTestIdp({ users: [{ email: 'alice@example.com' }] });
  const strict = await startHarness({ config: { strategies: ['jwt'], auth: { plainAuthEnabled: false, requireSSL: true, oidc: idp.oidcConfig() } } });
  const relaxed = await startHarness({ config: { strategies: ['jwt'], auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() } } });
  try {
    const token = await idp.accessToken('alice@example.com');
    const refused = await session(strict, { Authorization: `Bearer ${token}` });
    assert.equal(refused.status, 401);
    assert.match(await refused.text(), /requires TLS/);
    assert.equal((await session(relaxed, { Authorization: `Bearer ${token}` })).status, 200);
  } finally {
    await strict.close();
    await relaxed.close();
    await idp.close();
  }
});
