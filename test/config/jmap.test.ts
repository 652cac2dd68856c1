// jmap.properties: James' keys and Tessera's additions, strategies, X-User safety, OIDC, limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedConfig } from '../../src/config/load.js';
import { expectConfigError, expectWarning, loadClean, type ExpectedError, type ExpectedWarning } from './fixtures.js';

const OIDC = 'oidc.oidcConfigurationURL=https://idp.test/.well-known/openid-configuration\n';

interface MappingCase {
  name: string;
  props: string;
  check: (l: LoadedConfig) => void;
}

const mappings: MappingCase[] = [
  {
    name: 'no jmap.properties: JMAP is off, as in James',
    props: '',
    check: (l) => assert.equal(l.config.jmap.enabled, false),
  },
  {
    name: 'an empty jmap.properties: James defaults, loopback, Basic only (no OIDC provider configured)',
    props: '# nothing\n',
    check: (l) => {
      const j = l.config.jmap;
      assert.equal(j.enabled, true);
      assert.deepEqual(j.bind, { host: '127.0.0.1', port: 80 });
      assert.equal(j.urlPrefix, 'http://127.0.0.1');
      assert.deepEqual(j.strategies, ['basic']);
      assert.deepEqual(j.auth, { plainAuthEnabled: true, requireSSL: true });
      assert.deepEqual(j.xUser, { headerName: 'X-User', trustedProxies: [], secrets: [] });
      assert.equal(j.tls, undefined);
      assert.equal(j.maxSizeUpload, 50 * 1024 * 1024);
      assert.equal(j.maxConcurrentUpload, 4);
      assert.equal(j.maxSizeRequest, 10 * 1024 * 1024);
      assert.equal(j.maxConcurrentRequests, 4);
      assert.equal(j.maxCallsInRequest, 16);
      assert.equal(j.maxObjectsInGet, 500);
      assert.equal(j.maxObjectsInSet, 500);
      assert.deepEqual(j.tokenExpiry, { action: 'disconnect', graceSeconds: 60 });
      assert.match(j.source, /jmap\.properties$/);
    },
  },
  {
    name: 'James fallback strategies (JWT, Basic) when an OIDC provider is configured',
    props: OIDC,
    check: (l) => assert.deepEqual(l.config.jmap.strategies, ['jwt', 'basic']),
  },
  {
    name: 'enabled=false, jmap.host, jmap.port, url.prefix (trailing slash dropped)',
    props: 'enabled=false\njmap.host=0.0.0.0\njmap.port=8080\nurl.prefix=https://mail.example.com/\n',
    check: (l) => {
      assert.equal(l.config.jmap.enabled, false);
      assert.deepEqual(l.config.jmap.bind, { host: '0.0.0.0', port: 8080 });
      assert.equal(l.config.jmap.urlPrefix, 'https://mail.example.com');
    },
  },
  {
    name: 'IPv6 host: the default url.prefix brackets it',
    props: 'jmap.host=::1\njmap.port=8000\n',
    check: (l) => assert.equal(l.config.jmap.urlPrefix, 'http://[::1]:8000'),
  },
  {
    name: 'strategies: James class names, short names, any case, in order',
    props: `${OIDC}authentication.strategy.rfc8621=org.apache.james.jmap.http.XUserAuthenticationStrategy, JWTAuthenticationStrategy,OIDCAUTHENTICATIONSTRATEGY, basic\nauthentication.strategy.rfc8621.xUser.trustedProxies=10.0.0.0/8\n`,
    check: (l) => assert.deepEqual(l.config.jmap.strategies, ['xuser', 'jwt', 'oidc', 'basic']),
  },
  {
    name: 'X-User with trusted proxies, secrets and a custom header',
    props: 'authentication.strategy.rfc8621=xuser\nauthentication.strategy.rfc8621.xUser.trustedProxies=10.0.0.0/8, 127.0.0.1\nauthentication.strategy.rfc8621.xUser.secret=s1,s2\nauthentication.strategy.rfc8621.xUser.header=X-Forwarded-User\n',
    check: (l) => assert.deepEqual(l.config.jmap.xUser, { headerName: 'X-Forwarded-User', trustedProxies: ['10.0.0.0/8', '127.0.0.1/32'], secrets: ['s1', 's2'] }),
  },
  {
    name: 'auth switches and every oidc.* key',
    props: [
      'auth.plainAuthEnabled=false',
      'auth.requireSSL=false',
      'oidc.jwksURL=https://idp.test/jwks',
      'oidc.oidcConfigurationURL=https://idp.test/.well-known/openid-configuration',
      'oidc.issuer=https://idp.test',
      'oidc.claim=email',
      'oidc.scope=openid email',
      'oidc.aud=urn:a,urn:b',
      'oidc.clientId=tessera',
      'oidc.introspection.url=https://idp.test/introspect',
      'oidc.introspection.auth=Basic abc',
      'oidc.userinfo.url=https://idp.test/userinfo',
      'oidc.revalidateInterval=60',
      '',
    ].join('\n'),
    check: (l) =>
      assert.deepEqual(l.config.jmap.auth, {
        plainAuthEnabled: false,
        requireSSL: false,
        oidc: {
          jwksURL: 'https://idp.test/jwks',
          oidcConfigurationURL: 'https://idp.test/.well-known/openid-configuration',
          issuer: 'https://idp.test',
          claim: 'email',
          scope: 'openid email',
          aud: ['urn:a', 'urn:b'],
          clientId: 'tessera',
          introspection: { url: 'https://idp.test/introspect', auth: 'Basic abc' },
          userinfo: { url: 'https://idp.test/userinfo', withIntrospection: true },
          revalidateInterval: 60,
        },
      }),
  },
  {
    name: "James' spelling oidc.userInfo.url and OIDC defaults",
    props: 'oidc.jwksURL=https://idp.test/jwks\noidc.userInfo.url=https://idp.test/userinfo\noidc.introspection.url=https://idp.test/i\n',
    check: (l) => {
      const o = l.config.jmap.auth.oidc;
      assert.equal(o?.userinfo?.url, 'https://idp.test/userinfo');
      assert.equal(o?.claim, 'email_address');
      assert.deepEqual(o?.aud, []);
      assert.equal(o?.revalidateInterval, 300);
    },
  },
  {
    name: "James' own OIDC keys (OidcAuthenticationStrategy): introspection alone is a complete configuration",
    props: [
      'authentication.strategy.rfc8621=OidcAuthenticationStrategy',
      'oidc.userInfo.url=https://oidc.example.com/protocol/openid-connect/userinfo',
      'oidc.introspect.url=https://oidc.example.com/protocol/openid-connect/token/introspect',
      'oidc.introspect.credentials=Basic base64(client_id:client_secret)',
      'oidc.claim=email',
      'oidc.audience=james, james-admin',
      'oidc.token.cache.expiration=5m',
      'oidc.token.cache.maxSize=10000',
      '',
    ].join('\n'),
    check: (l) => {
      assert.deepEqual(l.config.jmap.strategies, ['oidc']);
      assert.deepEqual(l.config.jmap.auth.oidc, {
        claim: 'email',
        aud: ['james', 'james-admin'],
        introspection: { url: 'https://oidc.example.com/protocol/openid-connect/token/introspect', auth: 'Basic base64(client_id:client_secret)' },
        userinfo: { url: 'https://oidc.example.com/protocol/openid-connect/userinfo', withIntrospection: true },
        revalidateInterval: 300,
        cache: { ttlMs: 300_000, maxEntries: 10_000 },
      });
    },
  },
  {
    name: "James' OIDC token cache expiration: a bare number is milliseconds, units as James' DurationParser",
    props: 'oidc.introspect.url=https://idp.test/i\noidc.token.cache.expiration=1500\n',
    check: (l) => assert.deepEqual(l.config.jmap.auth.oidc?.cache, { ttlMs: 1500 }),
  },
  {
    name: "Tessera's and James' spellings of one OIDC key may both be written when they agree",
    props: 'oidc.introspect.url=https://idp.test/i\noidc.introspection.url=https://idp.test/i\noidc.audience=a\noidc.aud=a\n',
    check: (l) => {
      assert.equal(l.config.jmap.auth.oidc?.introspection?.url, 'https://idp.test/i');
      assert.deepEqual(l.config.jmap.auth.oidc?.aud, ['a']);
    },
  },
  {
    name: "James' example: Basic and X-User with a shared secret only (comma list), no trusted proxies",
    props: 'authentication.strategy.rfc8621=BasicAuthenticationStrategy,XUserAuthenticationStrategy\nauthentication.strategy.rfc8621.xUser.secret=xusersecret123, rotated-secret\n',
    check: (l) => {
      assert.deepEqual(l.config.jmap.strategies, ['basic', 'xuser']);
      assert.deepEqual(l.config.jmap.xUser, { headerName: 'X-User', trustedProxies: [], secrets: ['xusersecret123', 'rotated-secret'] });
    },
  },
  {
    name: 'X-User with trusted proxies only',
    props: 'authentication.strategy.rfc8621=xuser\nauthentication.strategy.rfc8621.xUser.trustedProxies=10.0.0.0/8\n',
    check: (l) => assert.deepEqual(l.config.jmap.xUser, { headerName: 'X-User', trustedProxies: ['10.0.0.0/8'], secrets: [] }),
  },
  {
    name: "James' user.provisioning.enabled=false is what Tessera does anyway: read without a warning",
    props: 'user.provisioning.enabled=false\n',
    check: (l) => assert.equal(l.config.jmap.enabled, true),
  },
  {
    name: 'RFC 8620 limits with size units',
    props: 'upload.max.size=30M\nupload.max.concurrent=2\nrequest.max.size=512K\nrequest.max.concurrent=8\nrequest.max.calls=32\nget.max.size=100\nset.max.size=200\n',
    check: (l) => {
      const j = l.config.jmap;
      assert.equal(j.maxSizeUpload, 30 * 1024 * 1024);
      assert.equal(j.maxConcurrentUpload, 2);
      assert.equal(j.maxSizeRequest, 512 * 1024);
      assert.equal(j.maxConcurrentRequests, 8);
      assert.equal(j.maxCallsInRequest, 32);
      assert.equal(j.maxObjectsInGet, 100);
      assert.equal(j.maxObjectsInSet, 200);
    },
  },
  {
    name: 'tokenExpiry keys',
    props: 'tokenExpiry.action=disconnect\ntokenExpiry.grace=5\n',
    check: (l) => assert.deepEqual(l.config.jmap.tokenExpiry, { action: 'disconnect', graceSeconds: 5 }),
  },
  {
    name: "PushSubscription delivery: James' webpush.prevent.server.side.request.forgery and webpush.subscription.maxExpiry",
    props: 'webpush.prevent.server.side.request.forgery=false\nwebpush.subscription.maxExpiry=3d\n',
    check: (l) => assert.deepEqual(l.config.jmap.webPush, { allowPrivate: true, maxExpirySeconds: 3 * 86_400 }),
  },
  {
    name: 'PushSubscription delivery keys unset: the JMAP server keeps its defaults (SSRF protection on, 7 days)',
    props: 'jmap.port=8001\n',
    check: (l) => assert.equal(l.config.jmap.webPush, undefined),
  },
  {
    name: 'tokenExpiry ignore',
    props: 'tokenExpiry.action=ignore\n',
    check: (l) => assert.deepEqual(l.config.jmap.tokenExpiry, { action: 'ignore' }),
  },
  {
    name: 'Java properties syntax: colons, spaces, continuations, escapes, ! comments',
    props: '! comment\njmap.port : 8001\nurl.prefix https://a.example\\\n    .com\noidc.scope=openid\\u0020email\noidc.jwksURL=https\\://idp.test/jwks\n',
    check: (l) => {
      assert.equal(l.config.jmap.bind.port, 8001);
      assert.equal(l.config.jmap.urlPrefix, 'https://a.example.com');
      assert.equal(l.config.jmap.auth.oidc?.scope, 'openid email');
      assert.equal(l.config.jmap.auth.oidc?.jwksURL, 'https://idp.test/jwks');
    },
  },
];

describe('jmap.properties: mappings', () => {
  for (const c of mappings) {
    it(c.name, async () => c.check(await loadClean(c.props === '' ? {} : { 'jmap.properties': c.props })));
  }
});

const errors: { name: string; props: string; error: Omit<ExpectedError, 'file'> }[] = [
  { name: 'jmap.port out of range', props: 'jmap.port=99999\n', error: { key: 'jmap.port', value: '99999', fix: 'a port is a number from 1 to 65535' } },
  { name: 'jmap.host that is not a host', props: 'jmap.host=my host\n', error: { key: 'jmap.host', value: 'my host', fix: 'write an IP address or host name' } },
  { name: 'non-boolean enabled', props: 'enabled=yes\n', error: { key: 'enabled', value: 'yes', fix: 'write true or false' } },
  { name: 'url.prefix that is not a URL', props: 'url.prefix=mail.example.com\n', error: { key: 'url.prefix', value: 'mail.example.com', fix: 'absolute URL' } },
  {
    name: 'unknown strategy',
    props: 'authentication.strategy.rfc8621=basic,Kerberos\n',
    error: { key: 'authentication.strategy.rfc8621', value: 'Kerberos', fix: 'allowed strategies: BasicAuthenticationStrategy' },
  },
  {
    name: 'X-User with neither trusted proxies nor secret (James only warns: anyone could claim any identity)',
    props: 'authentication.strategy.rfc8621=basic,xuser\n',
    error: { key: 'authentication.strategy.rfc8621', value: 'basic,xuser', fix: 'would let anyone who reaches JMAP claim any identity in the X-User header' },
  },
  {
    name: 'an empty X-User secret list',
    props: 'authentication.strategy.rfc8621=xuser\nauthentication.strategy.rfc8621.xUser.secret= , ,\n',
    error: { key: 'authentication.strategy.rfc8621.xUser.secret', value: ', ,', fix: 'write one secret or several' },
  },
  {
    name: "James' static JWT key while JWTAuthenticationStrategy is listed",
    props: 'authentication.strategy.rfc8621=JWTAuthenticationStrategy,BasicAuthenticationStrategy\njwt.publickeypem.url=file://conf/jwt_publickey\n',
    error: { key: 'jwt.publickeypem.url', value: 'file://conf/jwt_publickey', fix: 'publish the key as a JWKS and set oidc.jwksURL' },
  },
  {
    name: "James' user provisioning at the first token login",
    props: 'user.provisioning.enabled=true\n',
    error: { key: 'user.provisioning.enabled', value: 'true', fix: 'set user.provisioning.enabled=false' },
  },
  {
    name: "James' static JWT key with no strategy line (James' default list starts with JWTAuthenticationStrategy)",
    props: 'jwt.publickeypem.url=file://conf/jwt_publickey\n',
    error: { key: 'jwt.publickeypem.url', value: 'file://conf/jwt_publickey', fix: 'oidc.claim=sub' },
  },
  {
    name: 'JWT strategy without OIDC settings',
    props: 'authentication.strategy.rfc8621=JWTAuthenticationStrategy\n',
    error: { key: 'authentication.strategy.rfc8621', value: 'JWTAuthenticationStrategy', fix: 'set oidc.oidcConfigurationURL or oidc.jwksURL' },
  },
  {
    name: 'OIDC strategy without OIDC settings',
    props: 'authentication.strategy.rfc8621=oidc\n',
    error: { key: 'authentication.strategy.rfc8621', value: 'oidc', fix: 'validates tokens with an OpenID provider' },
  },
  {
    name: 'half an oidc configuration',
    props: 'oidc.claim=email\noidc.userInfo.url=https://idp.test/userinfo\n',
    error: { key: 'oidc.introspect.url', value: '', fix: 'set oidc.introspect.url (RFC 7662 introspection, as James), or oidc.jwksURL / oidc.oidcConfigurationURL' },
  },
  {
    name: "James' introspection credentials without the introspection URL",
    props: `${OIDC}oidc.introspect.credentials=Basic abc\n`,
    error: { key: 'oidc.introspect.url', value: '', fix: 'oidc.introspect.credentials is set without oidc.introspect.url' },
  },
  {
    name: "James' and Tessera's spellings of the audience disagreeing",
    props: `${OIDC}oidc.audience=james\noidc.aud=other\n`,
    error: { key: 'oidc.aud', value: 'other', fix: 'keep only oidc.audience' },
  },
  {
    name: "a James token cache expiration that is not a duration",
    props: `${OIDC}oidc.token.cache.expiration=5 fortnights\n`,
    error: { key: 'oidc.token.cache.expiration', value: '5 fortnights', fix: 'write a duration such as 300s, 5m or 1h' },
  },
  {
    name: 'a James token cache of size 0 (James: maxSize must be greater than 0)',
    props: `${OIDC}oidc.token.cache.maxSize=0\n`,
    error: { key: 'oidc.token.cache.maxSize', value: '0', fix: 'from 1 to' },
  },
  {
    name: 'introspection auth without url',
    props: `${OIDC}oidc.introspection.auth=Basic abc\n`,
    error: { key: 'oidc.introspection.url', value: '', fix: 'add the RFC 7662 endpoint URL' },
  },
  {
    name: 'trusted proxy that is not a CIDR',
    props: 'authentication.strategy.rfc8621.xUser.trustedProxies=gateway.local\n',
    error: { key: 'authentication.strategy.rfc8621.xUser.trustedProxies', value: 'gateway.local', fix: 'CIDR ranges' },
  },
  { name: 'size without a known unit', props: 'upload.max.size=5 parsecs\n', error: { key: 'upload.max.size', value: '5 parsecs', fix: '50M' } },
  { name: 'zero concurrent requests', props: 'request.max.concurrent=0\n', error: { key: 'request.max.concurrent', value: '0', fix: 'from 1 to' } },
  {
    name: 'a push subscription maximum expiry under the 48 hours RFC 8620 §7.2 requires',
    props: 'webpush.subscription.maxExpiry=24h\n',
    error: { key: 'webpush.subscription.maxExpiry', value: '24h', fix: 'at least 48 hours' },
  },
  { name: 'non-boolean webpush.prevent.server.side.request.forgery', props: 'webpush.prevent.server.side.request.forgery=maybe\n', error: { key: 'webpush.prevent.server.side.request.forgery', value: 'maybe', fix: 'write true or false' } },
  { name: 'unknown tokenExpiry action', props: 'tokenExpiry.action=kick\n', error: { key: 'tokenExpiry.action', value: 'kick', fix: 'allowed values: disconnect, ignore' } },
  {
    name: 'conflicting oidc.userinfo.url and oidc.userInfo.url',
    props: `${OIDC}oidc.userinfo.url=https://a.test/u\noidc.userInfo.url=https://b.test/u\n`,
    error: { key: 'oidc.userInfo.url', value: 'https://b.test/u', fix: 'keep only oidc.userinfo.url' },
  },
];

describe('jmap.properties: errors', () => {
  for (const c of errors) {
    it(`${c.name} is a start-up error naming file, key, value and fix`, async () => {
      await expectConfigError({ 'jmap.properties': c.props }, { file: 'jmap.properties', ...c.error });
    });
  }
});

const warnings: { name: string; props: string; warning: Omit<ExpectedWarning, 'file'> }[] = [
  { name: 'unknown key', props: 'jmap.prot=8000\n', warning: { key: 'jmap.prot', includes: ['unknown key jmap.prot'] } },
  { name: 'James key Tessera does not use', props: 'view.email.query.enabled=true\n', warning: { key: 'view.email.query.enabled', includes: ['James setting', 'not used by Tessera'] } },
  {
    name: "James' static JWT key while JWTAuthenticationStrategy is not listed (it has no effect in James either)",
    props: 'authentication.strategy.rfc8621=BasicAuthenticationStrategy\njwt.publickeypem.url=file://conf/jwt_publickey\n',
    warning: { key: 'jwt.publickeypem.url', includes: ['James setting', 'no JWTAuthenticationStrategy is listed'] },
  },
  {
    name: "James' Redis token cache timeout alone (no OIDC configured, as in James' distributed sample)",
    props: 'oidc.token.cache.redis.command.timeout=3s\n',
    warning: { key: 'oidc.token.cache.redis.command.timeout', includes: ['James setting', 'in memory'] },
  },
  {
    name: "James' Redis token cache timeout",
    props: `${OIDC}oidc.token.cache.redis.command.timeout=3s\n`,
    warning: { key: 'oidc.token.cache.redis.command.timeout', includes: ['James setting', 'in memory'] },
  },
  { name: "James' token keystore", props: 'tls.keystoreURL=file://conf/keystore\ntls.secret=james72laBalle\n', warning: { key: 'tls.keystoreURL', includes: ['JMAP draft tokens'] } },
  { name: 'a key defined twice', props: 'jmap.port=8000\njmap.port=8001\n', warning: { key: 'jmap.port', includes: ['defined twice (lines 1 and 2)'] } },
  { name: 'a strategy listed twice', props: 'authentication.strategy.rfc8621=basic,BasicAuthenticationStrategy\n', warning: { key: 'authentication.strategy.rfc8621', includes: ['listed twice'] } },
  { name: 'TLS material with TLS off', props: 'tls.privateKey=conf/key.pem\n', warning: { key: 'tls.privateKey', includes: ['tls.enabled is not true'] } },
];

describe('jmap.properties: warnings', () => {
  for (const c of warnings) {
    it(`${c.name} is a warning naming file and key`, async () => {
      await expectWarning({ 'jmap.properties': c.props }, { file: 'jmap.properties', ...c.warning });
    });
  }

  it("James' tls.keystoreURL carries its tls.secret: one warning only", async () => {
    const l = await expectWarning({ 'jmap.properties': 'tls.keystoreURL=file://conf/keystore\ntls.secret=x\n' }, { file: 'jmap.properties', key: 'tls.keystoreURL', includes: [] });
    assert.equal(l.warnings.length, 1);
  });
});
