// OAUTHBEARER, XOAUTH2 and JMAP Bearer through AuthService with real tokens from a real oidc-provider:
// principals carry the token's session facts, bad tokens get the RFC 7628 / Google error challenge,
// outages fail as temporary without it, and no log line contains a token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthService } from '../../src/auth/service.js';
import type { AuthFailure, ConnectionAuthContext, SaslExchange } from '../../src/auth/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { captureLog, type CapturedLog } from './log-capture.js';
import { b64 } from './sasl-helpers.js';

const ALICE = 'alice@example.com';
let idp: TestIdp;
let service: AuthService;
let log: CapturedLog;
let ctx: (over?: Partial<ConnectionAuthContext>) => ConnectionAuthContext;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: 'carol@example.com' }, { email: 'admin@example.com' }, { email: 'dave@example.com' }] });
  log = captureLog();
  service = new AuthService({
    users: new MemoryUsersRepository({ [ALICE]: 'pw', 'carol@example.com': 'pw' }),
    logger: log.logger,
    throttle: { baseDelayMs: 1, maxDelayMs: 1 },
    tokens: { failureRetryMs: 0 },
  });
  const oidc = idp.oidcConfig();
  // A TLS connection: under requireSSL no credential is taken before TLS (see the clear-connection test).
  ctx = (over = {}) => ({ protocol: 'imap', auth: { plainAuthEnabled: false, requireSSL: true, oidc }, secure: true, peer: '203.0.113.5', ...over });
});

after(async () => {
  await service.close();
  await idp.close();
});

function exchange(mech: string, c = ctx()): SaslExchange {
  const ex: SaslExchange | AuthFailure = service.beginSasl(mech, c);
  assert.ok('start' in ex, `beginSasl(${mech}) refused`);
  return ex;
}

const oauthbearer = (token: string, user = ALICE, port = 143): string =>
  b64(`n,a=${user},\x01host=127.0.0.1\x01port=${port}\x01auth=Bearer ${token}\x01\x01`);
const xoauth2 = (token: string, user = ALICE): string => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

test('tokens are advertised (and accepted) over TLS while passwords are off', () => {
  assert.deepEqual(service.advertisedMechanisms(ctx()), ['OAUTHBEARER', 'XOAUTH2']);
});

test('OAUTHBEARER with a real token yields a principal with sid, jti, client id and expiry', async () => {
  const issued = await idp.issueToken(ALICE);
  const step = await exchange('OAUTHBEARER').start(oauthbearer(issued.accessToken));
  assert.equal(step.type, 'success');
  if (step.type !== 'success') return;
  const p = step.principal;
  assert.equal(p.user, ALICE);
  assert.equal(p.mechanism, 'OAUTHBEARER');
  assert.equal(p.sid, issued.sid);
  assert.equal(p.jti, issued.jti);
  assert.equal(p.clientId, idp.clientId);
  assert.equal(p.issuer, idp.issuer);
  assert.equal(p.tokenExpiry?.getTime(), issued.expiresAt * 1000);
  assert.equal(p.accessToken, issued.accessToken);
});

test('XOAUTH2 with a real token (nodemailer style) succeeds', async () => {
  const step = await exchange('XOAUTH2', ctx({ protocol: 'smtp' })).start(xoauth2(await idp.accessToken(ALICE)));
  assert.equal(step.type === 'success' && step.principal.mechanism, 'XOAUTH2');
});

test('a bad token gets the RFC 7628 error challenge with the configured scope and discovery URL', async () => {
  const forged = await idp.signJwt({ email: ALICE, scope: 'openid email', aud: 'urn:other' });
  const ex = exchange('OAUTHBEARER');
  const step = await ex.start(oauthbearer(forged));
  assert.equal(step.type, 'challenge');
  const body = step.type === 'challenge' ? Buffer.from(step.base64, 'base64').toString() : '';
  assert.equal(body, JSON.stringify({ status: 'invalid_token', scope: 'openid email', 'openid-configuration': idp.discoveryUrl }));
  const end = await ex.respond('AQ==');
  assert.equal(end.type === 'failure' && end.failure.code, 'invalid');
});

test('a bad token over XOAUTH2 gets the Google error challenge, then fails on the empty reply', async () => {
  const ex = exchange('XOAUTH2');
  const step = await ex.start(xoauth2('garbage.token.value'));
  assert.equal(step.type === 'challenge' && Buffer.from(step.base64, 'base64').toString(), '{"status":"401","schemes":"bearer","scope":"openid email"}');
  const end = await ex.respond('');
  assert.equal(end.type === 'failure' && end.failure.code, 'invalid');
});

test('a payload naming another user than the token is refused', async () => {
  const token = await idp.accessToken(ALICE);
  const step = await exchange('OAUTHBEARER').start(oauthbearer(token, 'carol@example.com'));
  assert.equal(step.type, 'challenge');
  const same = await exchange('OAUTHBEARER').start(oauthbearer(token, 'ALICE@example.com'));
  assert.equal(same.type, 'success', 'user names compare case-insensitively');
});

test("OAUTHBEARER's a= authzid: an administrator or a granted delegate acts as that user, audited; XOAUTH2's user= never delegates", async () => {
  const grants = new Set(['carol@example.com>' + ALICE]);
  const delegating = new AuthService({
    users: new MemoryUsersRepository({ [ALICE]: 'pw', 'carol@example.com': 'pw', 'admin@example.com': 'pw', 'dave@example.com': 'pw' }),
    logger: log.logger,
    throttle: { baseDelayMs: 1, maxDelayMs: 1 },
    administrators: ['admin@example.com'],
    delegations: { mayActAs: async (delegate, owner) => grants.has(`${delegate}>${owner}`) },
  });
  const begin = (mech: string): SaslExchange => {
    const ex = delegating.beginSasl(mech, ctx());
    assert.ok('start' in ex);
    return ex;
  };
  try {
    for (const actor of ['admin@example.com', 'carol@example.com']) {
      const step = await begin('OAUTHBEARER').start(oauthbearer(await idp.accessToken(actor), ALICE));
      assert.equal(step.type, 'success', actor);
      if (step.type !== 'success') continue;
      assert.equal(step.principal.user, ALICE);
      assert.equal(step.principal.actor, actor);
      assert.ok(log.events().some((e) => e['result'] === 'success' && e['user'] === ALICE && e['actor'] === actor), `audit line for ${actor}`);
    }
    const refused = await begin('OAUTHBEARER').start(oauthbearer(await idp.accessToken('dave@example.com'), ALICE));
    assert.equal(refused.type, 'challenge', 'no grant, no administrator: refused');
    const xo = await begin('XOAUTH2').start(xoauth2(await idp.accessToken('admin@example.com'), ALICE));
    assert.notEqual(xo.type, 'success', "XOAUTH2's user= names the token's user");
  } finally {
    await delegating.close();
  }
});

test('provider down with no keys: temporary failure and no error challenge', async () => {
  const cold = new AuthService({ users: new MemoryUsersRepository({ [ALICE]: 'pw' }), logger: log.logger, tokens: { failureRetryMs: 0 } });
  const token = await idp.accessToken(ALICE);
  await idp.stop();
  try {
    const ex = cold.beginSasl('OAUTHBEARER', ctx());
    assert.ok('start' in ex);
    const step = await ex.start(oauthbearer(token));
    assert.equal(step.type === 'failure' && step.failure.code, 'temporary');
    const bearer = await cold.loginWithBearer(token, ctx({ protocol: 'jmap' }));
    assert.equal(!bearer.ok && bearer.failure.code, 'temporary');
  } finally {
    await idp.start();
    await cold.close();
  }
});

test('JMAP Bearer uses the same validator', async () => {
  const ok = await service.loginWithBearer(await idp.accessToken(ALICE), ctx({ protocol: 'jmap' }));
  assert.equal(ok.ok && ok.principal.mechanism, 'BEARER');
  const bad = await service.loginWithBearer('x.y.z', ctx({ protocol: 'jmap' }));
  assert.equal(!bad.ok && bad.failure.code, 'invalid');
});

test('under requireSSL a token on a clear connection is refused as encryption-required, before it is checked', async () => {
  const c = ctx({ secure: false });
  assert.deepEqual(service.advertisedMechanisms(c), []);
  for (const mechanism of ['OAUTHBEARER', 'XOAUTH2']) {
    const refused = service.beginSasl(mechanism, c);
    assert.equal('code' in refused && refused.code, 'encryption-required', mechanism);
  }
  const bearer = await service.loginWithBearer(await idp.accessToken(ALICE), ctx({ protocol: 'jmap', secure: false }));
  assert.equal(!bearer.ok && bearer.failure.code, 'encryption-required');
  const allowed = ctx({ secure: false, auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() } });
  assert.deepEqual(service.advertisedMechanisms(allowed), ['OAUTHBEARER', 'XOAUTH2']);
});

test('OAuth mechanisms are unavailable without an oidc block', async () => {
  const c = ctx({ auth: { plainAuthEnabled: true, requireSSL: false } });
  const refused = service.beginSasl('OAUTHBEARER', c);
  assert.equal('code' in refused && refused.code, 'mechanism-unavailable');
  const bearer = await service.loginWithBearer('t', c);
  assert.equal(!bearer.ok && bearer.failure.code, 'mechanism-unavailable');
});

test('listeners with equal oidc blocks share one validator; different ones do not', () => {
  const a = service.tokenValidator(idp.oidcConfig());
  assert.equal(service.tokenValidator(idp.oidcConfig()), a);
  assert.notEqual(service.tokenValidator(idp.oidcConfig({ aud: ['urn:other'] })), a);
});

test('revalidate: password sessions stay active, tokens without introspection are unknown', async () => {
  assert.equal(await service.revalidate({ user: ALICE, mechanism: 'PLAIN' }, ctx()), 'active');
  assert.equal(await service.revalidate({ user: ALICE, mechanism: 'OAUTHBEARER', accessToken: 't' }, ctx()), 'unknown');
});

test('revalidate: a revoked opaque token is inactive at the provider', async () => {
  const opaque = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
  try {
    const oidc = opaque.oidcConfig({ introspection: { url: opaque.introspectionUrl, auth: opaque.clientAuthorization } });
    const c = ctx({ auth: { plainAuthEnabled: false, requireSSL: true, oidc } });
    const token = await opaque.accessToken(ALICE);
    const login = await service.loginWithBearer(token, c);
    assert.ok(login.ok);
    assert.equal(await service.revalidate(login.principal, c), 'active');
    await opaque.revoke(token);
    assert.equal(await service.revalidate(login.principal, c), 'inactive');
    const again = await service.loginWithBearer(token, c);
    assert.equal(!again.ok && again.failure.code, 'invalid', 'the cached result was dropped');
  } finally {
    await opaque.close();
  }
});

test('audit events name the mechanism and user but never contain a token', async () => {
  const token = await idp.accessToken(ALICE);
  await exchange('OAUTHBEARER').start(oauthbearer(token));
  const events = log.events();
  assert.ok(events.some((e) => e.mechanism === 'OAUTHBEARER' && e.user === ALICE && e.result === 'success' && e.peer === '203.0.113.5'));
  const all = log.lines.join('\n');
  assert.ok(!all.includes(token.split('.')[2] ?? token), 'no token signature in logs');
  assert.ok(!all.includes(token.split('.')[1] ?? token), 'no token payload in logs');
});
