import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthService } from '../../src/auth/service.js';
import type { ConnectionAuthContext, Principal } from '../../src/auth/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import { INACTIVE_REASON } from '../../src/sessions/revalidator.js';
import { FakeSession, captureLogger, openStore, register, tempDir, within } from './helpers.js';
import type { MailStore } from '../../src/store/types.js';
import { waitFor } from '../support/wait.js';

const ALICE = 'alice@example.com';

describe('re-introspection of live token sessions', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  let idp: TestIdp;
  let bus: MemoryEventBus;
  let auth: AuthService;
  let control: SessionControl;
  let store: MailStore;
  let ctx: ConnectionAuthContext;
  const log = captureLogger();

  /**
   * Resolves once the provider has received `n` more introspection requests: the revalidator sends
   * the next re-check of a session only after the previous one was answered, so by then at least
   * one full round was acted on.
   */
  const reintrospections = async (n: number): Promise<void> => {
    const path = new URL(idp.introspectionUrl).pathname;
    const seen = idp.requestCount(path);
    await waitFor(`${n} more introspection requests`, () => idp.requestCount(path) >= seen + n, 10_000);
  };

  const login = async (token: string): Promise<Principal> => {
    const result = await auth.loginWithBearer(token, ctx);
    assert.ok(result.ok, 'the token logs in');
    return result.principal;
  };

  before(async () => {
    dir = await tempDir();
    idp = await startTestIdp({ users: [{ email: ALICE }], accessTokenFormat: 'opaque' });
    const oidc = idp.oidcConfig({
      introspection: { url: idp.introspectionUrl, auth: idp.clientAuthorization },
      revalidateInterval: 1,
    });
    ctx = { protocol: 'imap', auth: { plainAuthEnabled: true, requireSSL: false, oidc }, secure: true, peer: '127.0.0.1' };
    auth = new AuthService({ users: new MemoryUsersRepository({ [ALICE]: 'pw' }), logger: silentLogger(), tokens: { failureRetryMs: 0 } });
    bus = new MemoryEventBus();
    store = await openStore(dir.dir);
    control = createSessionControl({ dataDir: dir.dir, store, bus, logger: log.logger, oidc: [oidc], auth, adminSocket: false, revalidateTickMs: 50 });
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

  it('ends a session whose token the provider now reports inactive, and keeps the others', async () => {
    const revokedToken = await idp.accessToken(ALICE);
    const keptToken = await idp.accessToken(ALICE);
    const doomed = register(control, new FakeSession(await login(revokedToken), 'imap', { auth: ctx.auth }));
    const kept = register(control, new FakeSession(await login(keptToken), 'smtp', { auth: ctx.auth }));
    const password = register(control, new FakeSession({ user: ALICE, mechanism: 'PLAIN' }, 'imap', { auth: ctx.auth }));
    await idp.revoke(revokedToken);
    // One revalidateInterval (1 s) plus the introspection round trip.
    assert.equal(await within(3000, doomed.ended, 'session with the revoked token'), INACTIVE_REASON);
    await reintrospections(2);
    assert.equal(kept.terminated, false, 'an active token keeps its session');
    assert.equal(password.terminated, false, 'password sessions are not re-introspected');
    kept.handle.unregister();
    password.handle.unregister();
  });

  it('keeps sessions while the provider is unreachable', async () => {
    const token = await idp.accessToken(ALICE);
    const session = register(control, new FakeSession(await login(token), 'jmap', { auth: ctx.auth }));
    await idp.stop();
    try {
      const failed = (): number => log.messages().filter((m) => m.includes('could not re-introspect')).length;
      const before = failed();
      // At least two intervals with introspection failing, each logged.
      await waitFor('two failed re-checks in the log', () => failed() >= before + 2, 10_000);
      assert.equal(session.terminated, false, 'an outage does not end sessions');
    } finally {
      await idp.start();
    }
    await reintrospections(2);
    assert.equal(session.terminated, false, 'still active once the provider is back');
    session.handle.unregister();
  });
});
