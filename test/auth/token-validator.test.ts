// The token validator against a real oidc-provider: genuine tokens pass; the hostile-token battery is
// refused with the right error (invalid vs temporary); keys are cached, refetched at most once per
// cooldown, and survive an IdP outage; introspection is honoured.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, importJWK, exportSPKI, type CryptoKey } from 'jose';
import { OidcTokenValidator, type ValidatorSettings } from '../../src/auth/token/validator.js';
import type { OidcConfig } from '../../src/config/types.js';
import type { TokenVerdict } from '../../src/auth/token/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com'; // known to the IdP, not to Tessera

let idp: TestIdp;
const users = new MemoryUsersRepository({ [ALICE]: 'pw' });

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

function validator(config: Partial<OidcConfig> = {}, settings: Partial<ValidatorSettings> = {}): OidcTokenValidator {
  return new OidcTokenValidator(idp.oidcConfig(config), users, silentLogger(), { failureRetryMs: 0, httpTimeoutMs: 2000, ...settings });
}

function assertInvalid(v: TokenVerdict, reason: RegExp): void {
  assert.equal(v.ok, false, 'expected a refusal');
  if (!v.ok) {
    assert.equal(v.code, 'invalid', `code for ${v.reason}`);
    assert.match(v.reason, reason);
  }
}

function assertTemporary(v: TokenVerdict): void {
  assert.equal(v.ok, false, 'expected a refusal');
  if (!v.ok) assert.equal(v.code, 'temporary', v.reason);
}

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
});

after(async () => {
  await idp.close();
});

describe('genuine tokens', () => {
  test('a provider-issued access token maps to the user with sid, jti, client id and expiry', async () => {
    const issued = await idp.issueToken(ALICE);
    const v = await validator().validate(issued.accessToken);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.equal(v.identity.user, ALICE);
    assert.equal(v.identity.sid, issued.sid);
    assert.ok(issued.sid, 'the token carries the OP session id');
    assert.equal(v.identity.jti, issued.jti);
    assert.equal(v.identity.clientId, idp.clientId);
    assert.equal(v.identity.issuer, idp.issuer);
    assert.equal(v.identity.expiresAt, issued.expiresAt);
    assert.equal(v.identity.subject, decodeJwt(issued.accessToken).sub);
  });

  test('the identity carries the token’s issue time (iat)', async () => {
    const token = await idp.accessToken(ALICE);
    const v = await validator().validate(token);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.equal(v.identity.issuedAt, decodeJwt(token).iat);
    assert.equal(typeof v.identity.issuedAt, 'number');
  });

  test('jwksURL alone (no discovery) also works', async () => {
    const v = await validator({ oidcConfigurationURL: undefined, jwksURL: idp.jwksUrl }).validate(await idp.accessToken(ALICE));
    assert.ok(v.ok);
  });

  test('warm validations make no provider requests and reuse the result', async () => {
    const val = validator();
    const token = await idp.accessToken(ALICE);
    assert.ok((await val.validate(token)).ok);
    idp.resetRequestCounts();
    const before = users.calls;
    for (let i = 0; i < 50; i++) assert.ok((await val.validate(token)).ok);
    const other = await idp.accessToken(ALICE);
    idp.resetRequestCounts();
    assert.ok((await val.validate(other)).ok);
    assert.equal(idp.requestCount('/jwks') + idp.requestCount('/.well-known/openid-configuration'), 0);
    assert.equal(users.calls - before, 1, 'only the second token needed a user lookup');
  });
});

describe('hostile token battery', () => {
  test('alg none is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ iss: idp.issuer, aud: idp.audience, email: ALICE, exp: now + 300, iat: now }));
    assertInvalid(await validator().validate(`${header}.${payload}.`), /algorithm none not allowed/);
  });

  test('HS256 signed with the provider public key is refused', async () => {
    const jwk = idp.publicKeys()[0];
    assert.ok(jwk);
    const pem = await exportSPKI(await importJWK(jwk, 'RS256', { extractable: true }) as CryptoKey);
    const forged = await new SignJWT({ email: ALICE, scope: 'openid email' })
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem));
    assertInvalid(await validator().validate(forged), /algorithm HS256 not allowed/);
  });

  test('an expired token is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    assertInvalid(await validator().validate(await idp.signJwt({ email: ALICE, scope: 'openid email', iat: now - 600, exp: now - 120 })), /expired/);
  });

  test('a real token is refused once past exp plus leeway', async () => {
    const clock = fakeClock();
    const val = validator({}, { now: clock.now });
    const issued = await idp.issueToken(ALICE);
    assert.ok((await val.validate(issued.accessToken)).ok);
    clock.advance((issued.expiresAt + 61) * 1000 - Date.now());
    assertInvalid(await val.validate(issued.accessToken), /expired/);
  });

  test('nbf in the future is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    assertInvalid(await validator().validate(await idp.signJwt({ email: ALICE, scope: 'openid email', nbf: now + 600 })), /nbf/);
  });

  test('a wrong issuer is refused', async () => {
    assertInvalid(await validator().validate(await idp.signJwt({ email: ALICE, scope: 'openid email', iss: 'https://evil.example' })), /iss/);
  });

  test('a wrong audience is refused', async () => {
    assertInvalid(await validator().validate(await idp.signJwt({ email: ALICE, scope: 'openid email', aud: 'urn:other' })), /aud/);
  });

  test('a missing claim is refused', async () => {
    assertInvalid(await validator().validate(await idp.signJwt({ scope: 'openid email', sub: 'x' })), /claim email missing/);
  });

  test('a missing required scope is refused', async () => {
    assertInvalid(await validator().validate(await idp.accessToken(ALICE, { scope: 'openid' })), /missing scope email/);
  });

  test('a user unknown to Tessera is refused', async () => {
    assertInvalid(await validator().validate(await idp.accessToken(BOB)), /user unknown/);
  });

  test('a tampered payload is refused', async () => {
    const [h, , s] = (await idp.accessToken(BOB)).split('.');
    const claims = decodeJwt(await idp.accessToken(BOB));
    const payload = base64url.encode(JSON.stringify({ ...claims, email: ALICE }));
    assertInvalid(await validator().validate(`${h}.${payload}.${s}`), /bad signature/);
  });

  test('a token over the 16 KiB limit is refused unparsed', async () => {
    const huge = await idp.signJwt({ email: ALICE, scope: 'openid email', pad: 'x'.repeat(17 * 1024) });
    idp.resetRequestCounts();
    assertInvalid(await validator().validate(huge), /too large/);
    assert.equal(idp.requestCount('/jwks'), 0);
  });

  test('garbage shaped like a JWT is invalid, not a temporary failure', async () => {
    for (const junk of ['x.y.z', 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln', `${base64url.encode('{"alg":"RS256","kid":"k"}')}..`]) {
      const v = await validator().validate(junk);
      assert.equal(!v.ok && v.code, 'invalid', junk);
    }
  });

  test('an opaque token without introspection is refused', async () => {
    assertInvalid(await validator().validate('not-a-jwt-just-an-opaque-token'), /opaque/);
  });

  test('1,000 tokens with random kids cause at most one JWKS fetch per cooldown', async () => {
    const clock = fakeClock();
    const val = validator({}, { now: clock.now, jwksCooldownMs: 30_000 });
    assert.ok((await val.validate(await idp.accessToken(ALICE))).ok);
    const forge = (): Promise<string> => idp.signJwt({ email: ALICE, scope: 'openid email' }, { kid: randomUUID() });
    const batch1 = await Promise.all(Array.from({ length: 500 }, forge));
    const batch2 = await Promise.all(Array.from({ length: 500 }, forge));
    idp.resetRequestCounts();
    const results1 = await Promise.all(batch1.map((t) => val.validate(t)));
    assert.equal(idp.requestCount('/jwks'), 0, 'within the cooldown of the first fetch: no refetch');
    clock.advance(30_001);
    const results2 = await Promise.all(batch2.map((t) => val.validate(t)));
    assert.equal(idp.requestCount('/jwks'), 1, 'after the cooldown: exactly one refetch for 500 unknown kids');
    for (const r of [...results1, ...results2]) assertInvalid(r, /unknown key/);
    assert.equal(val.jwks.fetches, 2);
  });
});

describe('key rotation and outages', () => {
  test('a rotated key is fetched once the cooldown allows, old tokens keep working', async () => {
    const clock = fakeClock();
    const val = validator({}, { now: clock.now });
    const old = await idp.accessToken(ALICE);
    assert.ok((await val.validate(old)).ok);
    await idp.rotateKeys();
    const fresh = await idp.accessToken(ALICE);
    clock.advance(31_000);
    const v = await val.validate(fresh);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.ok((await val.validate(old, { fresh: true })).ok);
  });

  test('JWKS down with keys cached: tokens still validate', async () => {
    const val = validator();
    assert.ok((await val.validate(await idp.accessToken(ALICE))).ok);
    const second = await idp.accessToken(ALICE);
    await idp.stop();
    try {
      const v = await val.validate(second);
      assert.ok(v.ok, !v.ok ? v.reason : '');
    } finally {
      await idp.start();
    }
  });

  test('JWKS down with no keys cached: temporary failure, then recovery', async () => {
    const token = await idp.accessToken(ALICE);
    const val = validator();
    await idp.stop();
    try {
      assertTemporary(await val.validate(token));
    } finally {
      await idp.start();
    }
    assert.ok((await val.validate(token)).ok, 'works once the provider is back');
  });

  test('stale keys keep working during an outage, with at most one refresh attempt per cooldown', async () => {
    const clock = fakeClock();
    const val = validator({}, { now: clock.now, keysMaxAgeMs: 60_000, jwksCooldownMs: 30_000 });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => idp.accessToken(ALICE)));
    assert.ok((await val.validate(tokens[0] ?? '')).ok);
    await idp.stop();
    try {
      clock.advance(10 * 60_000);
      const fetchesBefore = val.jwks.fetches;
      for (const t of tokens.slice(1)) {
        const v = await val.validate(t);
        assert.ok(v.ok, !v.ok ? v.reason : '');
      }
      assert.equal(val.jwks.fetches - fetchesBefore, 1, 'one background refresh attempt, not one per login');
    } finally {
      await idp.start();
    }
  });

  test('a users repository outage is temporary', async () => {
    const token = await idp.accessToken(ALICE);
    users.unavailable = true;
    try {
      assertTemporary(await validator().validate(token));
    } finally {
      users.unavailable = false;
    }
  });
});

describe('introspection (RFC 7662)', () => {
  let opaqueIdp: TestIdp;
  let fake: Server;
  let fakeStatus = 500;
  let fakeUrl = '';

  before(async () => {
    opaqueIdp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(fakeStatus, { 'content-type': 'application/json' });
        res.end(fakeStatus === 200 ? JSON.stringify({ active: false }) : '{"error":"server_error"}');
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/introspect`;
  });

  after(async () => {
    await opaqueIdp.close();
    await new Promise<void>((r) => fake.close(() => r()));
  });

  function opaqueValidator(): OidcTokenValidator {
    const config = opaqueIdp.oidcConfig({ introspection: { url: opaqueIdp.introspectionUrl, auth: opaqueIdp.clientAuthorization } });
    return new OidcTokenValidator(config, users, silentLogger(), { failureRetryMs: 0 });
  }

  test('an active opaque token is accepted through introspection', async () => {
    const token = await opaqueIdp.accessToken(ALICE);
    const v = await opaqueValidator().validate(token);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.equal(v.identity.user, ALICE);
    assert.equal(v.identity.clientId, opaqueIdp.clientId);
  });

  test('an opaque token carries its issue time from introspection (iat)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await opaqueIdp.accessToken(ALICE);
    const after = Math.ceil(Date.now() / 1000);
    const v = await opaqueValidator().validate(token);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.ok(v.identity.issuedAt !== undefined, 'introspection answered an iat');
    assert.ok(v.identity.issuedAt >= before && v.identity.issuedAt <= after, `iat ${v.identity.issuedAt} within [${before}, ${after}]`);
  });

  test('introspection active:false (token revoked at the provider) is refused', async () => {
    const token = await opaqueIdp.accessToken(ALICE);
    const val = opaqueValidator();
    assert.ok((await val.validate(token)).ok);
    await opaqueIdp.revoke(token);
    assertInvalid(await val.validate(token, { fresh: true }), /not active/);
    assert.equal(await val.introspect(token), 'inactive');
  });

  test('introspection answering 500 is a temporary failure', async () => {
    fakeStatus = 500;
    const val = validator({ introspection: { url: fakeUrl } });
    assertTemporary(await val.validate(await idp.accessToken(ALICE)));
    assert.equal(await val.introspect('anything'), 'unknown');
  });

  test('a JWT whose introspection says active:false is refused', async () => {
    fakeStatus = 200;
    const val = validator({ introspection: { url: fakeUrl } });
    assertInvalid(await val.validate(await idp.accessToken(ALICE)), /not active/);
  });
});

describe('userinfo', () => {
  let server: Server;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  let url = '';
  let lastAuthorization: string | undefined;

  before(async () => {
    server = createServer((req, res) => {
      lastAuthorization = req.headers.authorization;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/userinfo`;
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('a matching userinfo answer confirms the token, which is sent as a bearer', async () => {
    answer = { status: 200, body: { sub: 'x', email: ALICE } };
    const token = await idp.accessToken(ALICE);
    assert.ok((await validator({ userinfo: { url } }).validate(token)).ok);
    assert.equal(lastAuthorization, `Bearer ${token}`);
  });

  test('userinfo naming another user is refused', async () => {
    answer = { status: 200, body: { email: 'mallory@example.com' } };
    assertInvalid(await validator({ userinfo: { url } }).validate(await idp.accessToken(ALICE)), /userinfo: claim email does not match/);
  });

  test('userinfo refusing the token (401) is invalid; 503 is temporary', async () => {
    answer = { status: 401, body: { error: 'invalid_token' } };
    assertInvalid(await validator({ userinfo: { url } }).validate(await idp.accessToken(ALICE)), /userinfo refused/);
    answer = { status: 503, body: {} };
    assertTemporary(await validator({ userinfo: { url } }).validate(await idp.accessToken(ALICE)));
  });

  test("the provider's own userinfo endpoint refuses a token bound to the mail resource", async () => {
    const v = await validator({ userinfo: { url: `${idp.issuer}/me` } }).validate(await idp.accessToken(ALICE));
    assertInvalid(v, /userinfo refused/);
  });
});

describe("introspection alone, as James' JMAP OidcAuthenticationStrategy checks tokens", () => {
  let opaqueIdp: TestIdp;
  let userinfoIdp: TestIdp;
  let fake: Server;
  let fakeAnswer: Record<string, unknown> = {};
  let fakeUrl = '';

  before(async () => {
    opaqueIdp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    userinfoIdp = await startTestIdp({ users: [{ email: ALICE }], userinfoTokens: true });
    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fakeAnswer)));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/introspect`;
  });

  after(async () => {
    await opaqueIdp.close();
    await userinfoIdp.close();
    await new Promise<void>((r) => fake.close(() => r()));
  });

  /** No jwksURL, no discovery: what jmap.properties with James' oidc.introspect.* keys gives. */
  function introspectionOnly(provider: TestIdp, extra: Partial<OidcConfig> = {}): OidcConfig {
    return {
      claim: 'email',
      aud: [],
      introspection: { url: provider.introspectionUrl, auth: provider.clientAuthorization },
      revalidateInterval: 0,
      ...extra,
    };
  }

  test('an opaque token is accepted with its expiry, and the audience James lists is checked', async () => {
    const token = await opaqueIdp.accessToken(ALICE);
    const ok = await new OidcTokenValidator(introspectionOnly(opaqueIdp, { aud: ['urn:tessera:mail'] }), users, silentLogger()).validate(token);
    assert.ok(ok.ok, !ok.ok ? ok.reason : '');
    assert.equal(ok.identity.user, ALICE);
    assert.equal(typeof ok.identity.expiresAt, 'number');
    const wrongAudience = await new OidcTokenValidator(introspectionOnly(opaqueIdp, { aud: ['james'] }), users, silentLogger()).validate(token);
    assertInvalid(wrongAudience, /audience/);
  });

  test('a JWT-shaped token is judged by introspection alone when no key source is configured', async () => {
    const token = await idp.accessToken(ALICE);
    idp.resetRequestCounts();
    const config: OidcConfig = { claim: 'email', aud: [], introspection: { url: fakeUrl }, revalidateInterval: 0 };
    fakeAnswer = { active: true, email: ALICE, exp: Math.floor(Date.now() / 1000) + 60 };
    const v = await new OidcTokenValidator(config, users, silentLogger()).validate(token);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.equal(idp.requestCount('/jwks'), 0, 'no key fetch: there is no key source to check a signature with');
    fakeAnswer = { active: false };
    assertInvalid(await new OidcTokenValidator(config, users, silentLogger()).validate(token), /not active/);
  });

  test('a token revoked at the provider is refused once the cache is bypassed, and introspect() reports it', async () => {
    const token = await opaqueIdp.accessToken(ALICE);
    const val = new OidcTokenValidator(introspectionOnly(opaqueIdp), users, silentLogger());
    assert.ok((await val.validate(token)).ok);
    await opaqueIdp.revoke(token);
    assert.equal(await val.introspect(token), 'inactive');
    assertInvalid(await val.validate(token), /not active/);
  });

  test('an introspection answer without exp is refused (James requires it)', async () => {
    fakeAnswer = { active: true, email: ALICE };
    const v = await new OidcTokenValidator({ claim: 'email', aud: [], introspection: { url: fakeUrl }, revalidateInterval: 0 }, users, silentLogger()).validate('opaque-token');
    assertInvalid(v, /no exp/);
    fakeAnswer = { active: true, email: ALICE, exp: Math.floor(Date.now() / 1000) + 60 };
    const ok = await new OidcTokenValidator({ claim: 'email', aud: [], introspection: { url: fakeUrl }, revalidateInterval: 0 }, users, silentLogger()).validate('opaque-token');
    assert.ok(ok.ok, !ok.ok ? ok.reason : '');
  });

  test('with userinfo as well (jmap.properties), a userinfo token passes both endpoints', async () => {
    const token = await userinfoIdp.accessToken(ALICE);
    userinfoIdp.resetRequestCounts();
    const config = introspectionOnly(userinfoIdp, { userinfo: { url: userinfoIdp.userinfoUrl, withIntrospection: true } });
    const v = await new OidcTokenValidator(config, users, silentLogger()).validate(token);
    assert.ok(v.ok, !v.ok ? v.reason : '');
    assert.equal(v.identity.user, ALICE);
    assert.equal(userinfoIdp.requestCount('/token/introspection'), 1);
    assert.equal(userinfoIdp.requestCount('/me'), 1);
  });

  test('with userinfo as well, its answer must name the user, as James takes the user from userinfo', async () => {
    const token = await userinfoIdp.accessToken(ALICE);
    const config = introspectionOnly(userinfoIdp, { claim: 'preferred_username', userinfo: { url: userinfoIdp.userinfoUrl, withIntrospection: true } });
    assertInvalid(await new OidcTokenValidator(config, users, silentLogger()).validate(token), /userinfo: claim preferred_username missing/);
  });

  test('with userinfo as well, a token introspection accepts but userinfo refuses is refused, as James does', async () => {
    const token = await opaqueIdp.accessToken(ALICE);
    const config = introspectionOnly(opaqueIdp, { userinfo: { url: opaqueIdp.userinfoUrl, withIntrospection: true } });
    assertInvalid(await new OidcTokenValidator(config, users, silentLogger()).validate(token), /userinfo refused/);
    // The XML <oidc> meaning (userinfo only without introspection) still accepts it.
    const xml = introspectionOnly(opaqueIdp, { userinfo: { url: opaqueIdp.userinfoUrl } });
    assert.ok((await new OidcTokenValidator(xml, users, silentLogger()).validate(token)).ok);
  });

  test("oidc.token.cache.maxSize and .expiration bound the results kept (James' keys)", async () => {
    const clock = fakeClock();
    const [a, b] = [await opaqueIdp.accessToken(ALICE), await opaqueIdp.accessToken(ALICE)];
    const val = new OidcTokenValidator(introspectionOnly(opaqueIdp, { cache: { maxEntries: 1, ttlMs: 10_000 } }), users, silentLogger(), { now: clock.now });
    opaqueIdp.resetRequestCounts();
    assert.ok((await val.validate(a)).ok);
    assert.ok((await val.validate(a)).ok);
    assert.equal(opaqueIdp.requestCount('/token/introspection'), 1, 'the second check came from the cache');
    assert.ok((await val.validate(b)).ok);
    assert.ok((await val.validate(a)).ok);
    assert.equal(opaqueIdp.requestCount('/token/introspection'), 3, 'b pushed a out of a cache of one');
    clock.advance(10_001);
    assert.ok((await val.validate(a)).ok);
    assert.equal(opaqueIdp.requestCount('/token/introspection'), 4, 'a expired from the cache after 10 s');
  });
});
