import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, generateKeyPair, type JWTPayload } from 'jose';
import { AuthService } from '../../src/auth/service.js';
import type { ConnectionAuthContext, Principal } from '../../src/auth/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { BACKCHANNEL_LOGOUT_PATH, createSessionControl, type BackchannelLogoutHandler, type SessionControl } from '../../src/sessions/index.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/sessions/logout-token.js';
import { FakeSession, openStore, register, afterPendingRevocations, tempDir, within } from './helpers.js';
import type { MailStore } from '../../src/store/types.js';
import { waitFor } from '../support/wait.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** A bare HTTP server in front of the handler (the real route is tested in control-http.test.ts). */
async function startLogoutEndpoint(handler: () => BackchannelLogoutHandler | undefined): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handle = handler();
      if (req.method !== 'POST' || req.url !== BACKCHANNEL_LOGOUT_PATH || !handle) {
        res.writeHead(404).end();
        return;
      }
      handle(Buffer.concat(chunks), req.headers['content-type']).then(
        (out) => res.writeHead(out.status, out.headers).end(out.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${BACKCHANNEL_LOGOUT_PATH}` };
}

describe('OIDC back-channel logout with a real oidc-provider', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  let endpoint: { server: Server; url: string };
  let idp: TestIdp;
  let otherIdp: TestIdp;
  let bus: MemoryEventBus;
  let auth: AuthService;
  let control: SessionControl;
  let store: MailStore;
  let ctx: ConnectionAuthContext;
  let otherCtx: ConnectionAuthContext;

  const post = async (body: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; cacheControl: string | null; text: string }> => {
    const res = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, cacheControl: res.headers.get('cache-control'), text: await res.text() };
  };
  const postToken = (token: string) => post(new URLSearchParams({ logout_token: token }).toString());

  const login = async (token: string, context = ctx): Promise<Principal> => {
    const result = await auth.loginWithBearer(token, context);
    assert.ok(result.ok, 'the token logs in');
    return result.principal;
  };

  /** A logout token the provider's key signs, with the given claims over valid defaults. */
  const logoutToken = (claims: JWTPayload, header: Record<string, unknown> = {}, provider = idp) =>
    provider.signJwt(
      {
        aud: provider.clientId,
        jti: randomUUID(),
        sub: 'someone',
        sid: 'some-sid',
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        ...claims,
      },
      { typ: 'logout+jwt', ...header },
    );

  before(async () => {
    dir = await tempDir();
    endpoint = await startLogoutEndpoint(() => control?.handleBackchannelLogout);
    const clientMetadata = { backchannel_logout_uri: endpoint.url, backchannel_logout_session_required: true };
    idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }], clientMetadata });
    otherIdp = await startTestIdp({ users: [{ email: BOB }], audience: 'urn:other:mail' });
    const users = new MemoryUsersRepository({ [ALICE]: 'pw', [BOB]: 'pw' });
    auth = new AuthService({ users, logger: silentLogger() });
    bus = new MemoryEventBus();
    store = await openStore(dir.dir);
    const oidc = idp.oidcConfig();
    const otherOidc = otherIdp.oidcConfig({ clientId: 'tessera-at-other' });
    ctx = { protocol: 'imap', auth: { plainAuthEnabled: false, requireSSL: true, oidc }, secure: true, peer: '127.0.0.1' };
    otherCtx = { ...ctx, auth: { ...ctx.auth, oidc: otherOidc } };
    control = createSessionControl({ dataDir: dir.dir, store, bus, logger: silentLogger(), oidc: [oidc, otherOidc], auth, adminSocket: false });
    await control.start();
  });

  after(async () => {
    await control.stop();
    await store.close();
    await bus.close();
    await auth.close();
    await idp.close();
    await otherIdp.close();
    await new Promise<void>((resolve) => endpoint.server.close(() => resolve()));
    await dir.dispose();
  });

  it('ends every session of the OP session within one second and refuses its token afterwards', async () => {
    const ended = await idp.issueToken(ALICE);
    const kept = await idp.issueToken(ALICE);
    assert.ok(ended.sid && kept.sid && ended.sid !== kept.sid, 'each token has its own OP session');
    const principal = await login(ended.accessToken);
    const keptPrincipal = await login(kept.accessToken);
    assert.equal(principal.sid, ended.sid);
    const imap = register(control, new FakeSession(principal, 'imap'));
    const smtp = register(control, new FakeSession(principal, 'smtp'));
    const jmap = register(control, new FakeSession(principal, 'jmap'));
    const other = register(control, new FakeSession(keptPrincipal, 'imap'));

    // The user signs out at the provider (RP-initiated logout, confirmed): oidc-provider builds and
    // signs the logout token and POSTs it to our endpoint before answering the confirmation.
    await idp.endSession(ended.sid!);
    await within(1000, Promise.all([imap.ended, smtp.ended, jmap.ended]), 'sessions of the logged-out OP session');
    assert.match(imap.reasons[0]!, /identity provider/);
    await afterPendingRevocations(control);
    assert.equal(other.terminated, false, 'another OP session of the same user stays');

    assert.equal(await control.isRevoked(await login(ended.accessToken)), true, 'the old token is refused from now on');
    assert.equal(await control.isRevoked(keptPrincipal), false);
    other.handle.unregister();
  });

  it('answers 200 with Cache-Control: no-store, and a sub-only token ends every session of that subject', async () => {
    const t1 = await idp.issueToken(BOB);
    const t2 = await idp.issueToken(BOB);
    const s1 = register(control, new FakeSession(await login(t1.accessToken)));
    const s2 = register(control, new FakeSession(await login(t2.accessToken), 'smtp'));
    const res = await postToken(await logoutToken({ sub: t1.sub, sid: undefined }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.cacheControl, 'no-store');
    await within(1000, Promise.all([s1.ended, s2.ended]), 'sessions of the subject');
    assert.equal(await control.isRevoked(await login(t1.accessToken)), true);
    // iat has one-second resolution: a token issued in a later second than the logout is a new login.
    const nextSecond = (Math.floor(Date.now() / 1000) + 1) * 1000;
    await waitFor('the clock to reach the next second', () => Date.now() >= nextSecond, 2000);
    const later = await idp.issueToken(BOB);
    assert.equal(await control.isRevoked(await login(later.accessToken)), false, 'logging in again after the logout works');
  });

  it('refuses forged, malformed and replayed logout tokens with 400 and touches nothing', async () => {
    const victimToken = await idp.issueToken(ALICE);
    const victim = await login(victimToken.accessToken);
    const session = register(control, new FakeSession(victim, 'imap'));
    const target = { sid: victim.sid, sub: victim.subject };
    const valid = await logoutToken(target);
    const { kid } = decodeProtectedHeader(valid);
    const { privateKey: strangerKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const payloadOf = (claims: JWTPayload): JWTPayload => ({
      iss: idp.issuer, aud: idp.clientId, iat: now, exp: now + 300, jti: randomUUID(), ...target,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims,
    });
    const [h, , s] = valid.split('.');
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

    const forgeries: Record<string, string> = {
      'bad signature (another key, the provider kid)': await new SignJWT(payloadOf({}))
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
        .sign(strangerKey),
      'tampered payload': `${h}.${b64(payloadOf({ sid: 'other-sid' }))}.${s}`,
      'alg none': `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64(payloadOf({}))}.`,
      'wrong aud': await logoutToken({ ...target, aud: 'someone-else' }),
      'wrong iss': await logoutToken({ ...target, iss: 'https://evil.example' }),
      'missing events': await logoutToken({ ...target, events: undefined }),
      'events without the logout member': await logoutToken({ ...target, events: { 'http://schemas.openid.net/event/other': {} } }),
      'with nonce': await logoutToken({ ...target, nonce: 'n-0S6_WzA2Mj' }),
      'neither sid nor sub': await logoutToken({ sid: undefined, sub: undefined }),
      'no iat': await logoutToken({ ...target, iat: undefined }),
      'iat far in the past': await logoutToken({ ...target, iat: now - 7200, exp: now + 300 }),
      'iat in the future': await logoutToken({ ...target, iat: now + 3600, exp: now + 7200 }),
      'expired': await logoutToken({ ...target, iat: now - 400, exp: now - 200 }),
      'no jti': await logoutToken({ ...target, jti: undefined }),
      'an access token': victimToken.accessToken,
      'signed by another configured provider': await logoutToken({ ...target, iss: idp.issuer }, {}, otherIdp),
      'not a JWT': 'not-a-jwt',
    };
    for (const [name, token] of Object.entries(forgeries)) {
      const res = await postToken(token);
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(res.cacheControl, 'no-store', name);
      assert.equal((JSON.parse(res.text) as { error: string }).error, 'invalid_request', name);
    }
    assert.equal((await post(`logout_token=${encodeURIComponent(valid)}`, 'application/json')).status, 400, 'wrong content type');
    assert.equal((await post('')).status, 400, 'no logout_token');
    assert.equal((await post(`logout_token=${valid}&logout_token=${valid}`)).status, 400, 'two logout_tokens');

    await afterPendingRevocations(control);
    assert.equal(session.terminated, false, 'no forgery ended the session');
    assert.equal(await control.isRevoked(victim), false, 'no forgery revoked the token');

    // A valid token the provider signed, aimed at an OP session nobody uses here: accepted once only.
    const once = await logoutToken({ sid: 'unused-sid', sub: victim.subject });
    assert.equal((await postToken(once)).status, 200);
    const replay = await postToken(once);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /already used/);
    await afterPendingRevocations(control);
    assert.equal(session.terminated, false);
    session.handle.unregister();
  });

  it('accepts logout tokens from each configured provider with its own keys and client id', async () => {
    const t = await otherIdp.issueToken(BOB);
    const principal = await login(t.accessToken, otherCtx);
    assert.equal(principal.issuer, otherIdp.issuer);
    const s = register(control, new FakeSession(principal, 'jmap'));
    const wrongAud = await logoutToken({ sid: t.sid, sub: t.sub, iss: otherIdp.issuer, aud: idp.clientId }, {}, otherIdp);
    assert.equal((await postToken(wrongAud)).status, 400, 'aud must be our client id at that provider');
    const res = await postToken(await logoutToken({ sid: t.sid, sub: t.sub, iss: otherIdp.issuer, aud: 'tessera-at-other' }, {}, otherIdp));
    assert.equal(res.status, 200, res.text);
    await within(1000, s.ended, 'session from the second provider');
  });
});
