// The development identity provider: POST /dev/token hands out real access tokens that Tessera's
// validator accepts with the sample configuration; there is no way in through a browser.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDevIdp, devIdpBannerLines, type DevIdp } from '../../src/devidp/index.js';
import { OidcTokenValidator } from '../../src/auth/token/validator.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../support/memory-users.js';

const DEMO = 'demo@example.com';
let dev: DevIdp;
let guarded: DevIdp;

before(async () => {
  dev = await startDevIdp({ port: 0, users: [{ email: DEMO }], audience: 'urn:tessera:mail', logger: silentLogger() });
  guarded = await startDevIdp({
    port: 0,
    users: [{ email: DEMO }],
    audience: 'urn:tessera:mail',
    logger: silentLogger(),
    verifyPassword: async (email, password) => (email === DEMO && password === 'demo' ? 'accepted' : 'invalid'),
  });
});

after(async () => {
  await dev.stop();
  await guarded.stop();
});

const post = (url: string, form: Record<string, string>): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

test('POST /dev/token returns a token the sample oidc configuration accepts', async () => {
  assert.match(dev.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await post(dev.tokenUrl, { email: DEMO });
  assert.equal(response.status, 200);
  const token = (await response.text()).trim();
  const validator = new OidcTokenValidator(
    { oidcConfigurationURL: dev.discoveryUrl, claim: 'email', scope: 'openid email', aud: ['urn:tessera:mail'], revalidateInterval: 0 },
    new MemoryUsersRepository({ [DEMO]: 'demo' }),
    silentLogger(),
  );
  const verdict = await validator.validate(token);
  assert.ok(verdict.ok, !verdict.ok ? verdict.reason : '');
  assert.equal(verdict.identity.user, DEMO);
  assert.equal(verdict.identity.clientId, dev.clientId);
});

test('/dev/token refuses unknown users and other methods', async () => {
  assert.equal((await post(dev.tokenUrl, { email: 'nobody@example.com' })).status, 404);
  assert.equal((await fetch(dev.tokenUrl)).status, 405);
});

test('with a password check, /dev/token needs the right password', async () => {
  assert.equal((await post(guarded.tokenUrl, { email: DEMO, password: 'wrong' })).status, 401);
  assert.equal((await post(guarded.tokenUrl, { email: DEMO, password: 'demo' })).status, 200);
});

test('a browser cannot log in through the authorization endpoint', async () => {
  const jar: string[] = [];
  let url = `${dev.issuer}/auth?client_id=tessera&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${dev.issuer}/dev/callback`)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
  let status = 0;
  for (let i = 0; i < 5; i++) {
    const r = await fetch(url, { redirect: 'manual', headers: { cookie: jar.join('; ') } });
    for (const c of r.headers.getSetCookie()) jar.push(c.split(';')[0] ?? '');
    status = r.status;
    const loc = r.headers.get('location');
    await r.body?.cancel();
    if (!loc || loc.includes('code=')) break;
    url = new URL(loc, url).toString();
  }
  assert.equal(status, 403);
});

test('the banner prints a working token command and the IMAP login command', () => {
  const lines = devIdpBannerLines({ issuer: 'http://127.0.0.1:8600', email: DEMO, imap: { host: '127.0.0.1', port: 1143 } });
  assert.ok(lines.some((l) => l.includes(`TOKEN=$(curl -s -d email=${DEMO} http://127.0.0.1:8600/dev/token)`)));
  assert.ok(lines.some((l) => l.includes("imap://127.0.0.1:1143/' --login-options AUTH=OAUTHBEARER --oauth2-bearer \"$TOKEN\"")));
});

test('/dev/token takes a JSON body as well as a form, and says what it takes otherwise', async () => {
  const json = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(guarded.tokenUrl, { method: 'POST', headers: { 'content-type': type }, body });
  const ok = await json(JSON.stringify({ email: DEMO, password: 'demo' }));
  assert.equal(ok.status, 200);
  assert.match((await ok.text()).trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal((await json(JSON.stringify({ email: DEMO, password: 'wrong' }))).status, 401);
  assert.equal((await json(JSON.stringify({ email: DEMO, password: 'demo' }), 'application/json; charset=utf-8')).status, 200);

  const broken = await json('{"email": ');
  assert.equal(broken.status, 400);
  assert.match(await broken.text(), /not valid JSON.*application\/json/);
  assert.equal((await json(JSON.stringify({ email: 42 }))).status, 400);
  const other = await json('email=x', 'text/plain');
  assert.equal(other.status, 415);
  assert.match(await other.text(), /unsupported content type "text\/plain".*x-www-form-urlencoded.*application\/json/);
});

test('/dev/token looks users up when asked: one added after the start gets a token, a removed one does not', async () => {
  const directory = new Set<string>();
  const live = await startDevIdp({
    port: 0,
    audience: 'urn:tessera:mail',
    logger: silentLogger(),
    findUser: async (email) => (directory.has(email.toLowerCase()) ? email.toLowerCase() : undefined),
  });
  try {
    assert.equal((await post(live.tokenUrl, { email: 'late@example.com' })).status, 404);
    directory.add('late@example.com');
    const r = await post(live.tokenUrl, { email: 'Late@Example.com' });
    assert.equal(r.status, 200);
    const claims = JSON.parse(Buffer.from((await r.text()).trim().split('.')[1]!, 'base64url').toString()) as { email?: string };
    assert.equal(claims.email, 'late@example.com', 'the token names the canonical user');
    directory.delete('late@example.com');
    assert.equal((await post(live.tokenUrl, { email: 'late@example.com' })).status, 404);
  } finally {
    await live.stop();
  }
});
