// A node that missed events (its bus connection dropped) re-checks its live sessions at the resync.
// A `tessera delegation revoke` leaves no revocation behind, only the grant's removal, so a delegated
// session the node never heard about must be checked against the login rule itself: the grant is
// removed here straight in the store, without the bus event, as the node would have missed it. A
// login racing the revoke (checked before, registered after the event) is caught by admit() alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthService } from '../../src/auth/service.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import type { MailStore } from '../../src/store/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { captureLogger, FakeSession, openStore, register, tempDir, within } from './helpers.js';

const OWNER = 'owner@example.test';
const GONE = 'gone@example.test';
const KEPT = 'kept@example.test';
const ADMIN = 'admin@example.test';

describe('delegated sessions re-checked against the delegation rule (resync, admit)', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  let bus: MemoryEventBus;
  let store: MailStore;
  let auth: AuthService;
  let control: SessionControl;
  const log = captureLogger();

  before(async () => {
    dir = await tempDir();
    bus = new MemoryEventBus();
    store = await openStore(dir.dir);
    const users = new MemoryUsersRepository(Object.fromEntries([OWNER, GONE, KEPT, ADMIN].map((u) => [u, 'a-password-1'])));
    // Wired as `tessera serve` wires it (src/server/protocols.ts): the grants come from the mail store.
    auth = new AuthService({
      users,
      logger: silentLogger(),
      administrators: [ADMIN],
      delegations: { mayActAs: (delegate, owner) => store.mayActAs(delegate, owner) },
    });
    control = createSessionControl({ dataDir: dir.dir, store, bus, logger: log.logger, oidc: [], auth, adminSocket: false });
    await control.start();
  });

  after(async () => {
    await control.stop();
    await auth.close();
    await store.close();
    await bus.close();
    await dir.dispose();
  });

  it("ends a delegate's session whose grant went while the event was missed; the owner's, a granted delegate's and an administrator's stay", async () => {
    await store.grantDelegation(OWNER, GONE);
    await store.grantDelegation(OWNER, KEPT);
    const revoked = register(control, new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: GONE }));
    const own = register(control, new FakeSession({ user: OWNER, mechanism: 'PLAIN' }));
    const granted = register(control, new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: KEPT }, 'smtp'));
    const admin = register(control, new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: ADMIN }, 'pop3'));

    // The grant goes; the `session-revoked` naming GONE as OWNER never reaches this node.
    assert.equal(await store.revokeDelegation(OWNER, GONE), true);
    bus.raiseResync({ type: 'resync', reason: 'event bus reconnected' });
    assert.equal(await within(5000, revoked.ended, 'the delegated session without a grant'), 'Delegation revoked');

    // Barrier: resync passes run one after another, so once a second pass has ended a session
    // registered after the first pass began, the first pass is over.
    await store.grantDelegation(OWNER, 'sentinel@example.test');
    const sentinel = register(control, new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: 'sentinel@example.test' }));
    await store.revokeDelegation(OWNER, 'sentinel@example.test');
    bus.raiseResync({ type: 'resync', reason: 'event bus reconnected' });
    await within(5000, sentinel.ended, 'the barrier session');

    assert.deepEqual([own.terminated, granted.terminated, admin.terminated], [false, false, false]);
    assert.deepEqual(revoked.reasons, ['Delegation revoked'], 'ended once');
    assert.ok(log.messages().includes('delegated sessions ended'), 'logged as the live revoke is');
    for (const s of [own, granted, admin]) s.handle.unregister();
  });

  it('admit() refuses a delegated login whose grant went between its check and its registration', async () => {
    // The login's own check passed; the revoke's event then found no session of GONE to end.
    const lateRevoked = new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: GONE });
    assert.equal(await control.admit(lateRevoked.registration()), undefined);
    assert.equal(control.registry.matching({ user: OWNER, actor: GONE }).length, 0, 'nothing stays registered');
    const stillGranted = await control.admit(new FakeSession({ user: OWNER, mechanism: 'PLAIN', actor: KEPT }).registration());
    const own = await control.admit(new FakeSession({ user: OWNER, mechanism: 'PLAIN' }).registration());
    assert.ok(stillGranted && own, 'a granted delegate and the owner are admitted');
    stillGranted.unregister();
    own.unregister();
  });
});
