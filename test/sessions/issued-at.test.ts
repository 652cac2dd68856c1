// Revocation by time for opaque tokens: the provider's introspection answer gives the token's
// `iat`, the principal carries it, and revoking a user refuses exactly the tokens issued before the
// revocation, as for JWTs (before, an opaque token of a revoked user was refused for good).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthService } from '../../src/auth/service.js';
import type { ConnectionAuthContext, Principal } from '../../src/auth/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import type { MailStore } from '../../src/store/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { openStore, tempDir } from './helpers.js';

const ALICE = 'alice@example.com';

describe('revoking a user, with opaque tokens checked by introspection', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  let idp: TestIdp;
  let auth: AuthService;
  let bus: MemoryEventBus;
  let store: MailStore;
  let control: SessionControl;
  let ctx: ConnectionAuthContext;
  /** Session control's clock: the time the revocations are recorded at. */
  let clock = Date.now();

  const login = async (token: string): Promise<Principal> => {
    const result = await auth.loginWithBearer(token, ctx);
    assert.ok(result.ok, 'the token logs in');
    return result.principal;
  };

  before(async () => {
    dir = await tempDir();
    idp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    const oidc = idp.oidcConfig({ introspection: { url: idp.introspectionUrl, auth: idp.clientAuthorization } });
    ctx = { protocol: 'imap', auth: { plainAuthEnabled: false, requireSSL: false, oidc }, secure: true, peer: '127.0.0.1' };
    auth = new AuthService({ users: new MemoryUsersRepository({ [ALICE]: 'pw' }), logger: silentLogger(), tokens: { failureRetryMs: 0 } });
    bus = new MemoryEventBus();
    store = await openStore(dir.dir);
    control = createSessionControl({ dataDir: dir.dir, store, bus, logger: silentLogger(), oidc: [oidc], adminSocket: false, now: () => clock });
    await control.start();
  });

  after(async () => {
    await control.stop();
    await store.close();
    await bus.close();
    await auth.close();
    await idp.close();
    await dir.dispose();
  });

  it('refuses the tokens issued before the revocation and accepts those issued after it', async () => {
    const token = await idp.accessToken(ALICE);
    assert.doesNotMatch(token, /^ey/, 'an opaque token, not a JWT');
    const principal = await login(token);
    assert.ok(principal.issuedAt, 'introspection gave the issue time');
    const issued = principal.issuedAt.getTime();

    // Revoked a minute before this token was issued: the user has logged in again since.
    clock = issued - 60_000;
    await control.revoke({ user: ALICE, reason: 'admin' });
    assert.equal(await control.isRevoked(principal), false, 'a token issued after the revocation works');
    assert.equal(await control.isRevoked(await login(token)), false, 'also on the next login');

    // Revoked again, now: the token predates it.
    clock = Date.now();
    await control.revoke({ user: ALICE, reason: 'admin' });
    assert.equal(await control.isRevoked(principal), true, 'a token issued before the revocation is refused');
    assert.equal(await control.isRevoked(await login(token)), true);
  });
});
