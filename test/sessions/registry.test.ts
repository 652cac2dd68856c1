import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';
import { SessionRegistry } from '../../src/sessions/registry.js';
import { EmptyRevocationError } from '../../src/sessions/types.js';
import { FakeSession, openStore, register, afterPendingRevocations, tempDir, tokenPrincipal, within } from './helpers.js';
import type { MailStore } from '../../src/store/types.js';

const ISSUER = 'https://idp.example.test';
const OTHER_ISSUER = 'https://other-idp.example.test';

describe('session registry and bus-driven termination', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  let bus: MemoryEventBus;
  let control: SessionControl;
  let store: MailStore;

  before(async () => {
    dir = await tempDir();
    bus = new MemoryEventBus();
    store = await openStore(dir.dir);
    control = createSessionControl({ dataDir: dir.dir, store, bus, logger: silentLogger(), oidc: [], adminSocket: false });
    await control.start();
  });

  after(async () => {
    await control.stop();
    await store.close();
    await bus.close();
    await dir.dispose();
  });

  it('answers queries by user, sid, jti and issuer+sub, and lists without tokens', () => {
    const s = register(control, new FakeSession(tokenPrincipal({ user: 'q@example.test', sid: 'q-sid', jti: 'q-jti', subject: 'q-sub', issuer: ISSUER, accessToken: 'secret-token' })));
    const r = control.registry;
    assert.deepEqual(r.byUser('Q@EXAMPLE.TEST').map((x) => x.id), [s.handle.id]);
    assert.deepEqual(r.bySid('q-sid').map((x) => x.id), [s.handle.id]);
    assert.deepEqual(r.bySid('q-sid', OTHER_ISSUER), []);
    assert.deepEqual(r.byJti('q-jti', ISSUER).map((x) => x.id), [s.handle.id]);
    assert.deepEqual(r.bySubject(ISSUER, 'q-sub').map((x) => x.id), [s.handle.id]);
    assert.deepEqual(r.bySubject(OTHER_ISSUER, 'q-sub'), []);
    assert.ok(r.list().some((x) => x.id === s.handle.id));
    s.handle.unregister();
    s.handle.unregister();
    assert.deepEqual(r.byUser('q@example.test'), []);
  });

  it('ends only the sessions of a revoked sid, within one second, with the reason', async () => {
    const a1 = register(control, new FakeSession(tokenPrincipal({ user: 'a@example.test', sid: 'sid-a', issuer: ISSUER }), 'imap'));
    const a2 = register(control, new FakeSession(tokenPrincipal({ user: 'a@example.test', sid: 'sid-a', issuer: ISSUER }), 'smtp'));
    const b = register(control, new FakeSession(tokenPrincipal({ user: 'a@example.test', sid: 'sid-b', issuer: ISSUER }), 'jmap'));
    await control.revoke({ sid: 'sid-a', issuer: ISSUER, reason: 'logged out' });
    assert.equal(await within(1000, a1.ended, 'IMAP session'), 'logged out');
    assert.equal(await within(1000, a2.ended, 'SMTP session'), 'logged out');
    await afterPendingRevocations(control);
    assert.equal(b.terminated, false);
    assert.equal(control.registry.get(a1.handle.id), undefined, 'a terminated session is forgotten');
    b.handle.unregister();
  });

  it('with only sub, ends every session of that subject from that issuer and no other', async () => {
    const s1 = register(control, new FakeSession(tokenPrincipal({ user: 'b@example.test', sid: 'x1', subject: 'sub-b', issuer: ISSUER })));
    const s2 = register(control, new FakeSession(tokenPrincipal({ user: 'b@example.test', sid: 'x2', subject: 'sub-b', issuer: ISSUER })));
    const other = register(control, new FakeSession(tokenPrincipal({ user: 'b@example.test', sid: 'x3', subject: 'sub-b', issuer: OTHER_ISSUER })));
    const password = register(control, new FakeSession({ user: 'b@example.test', mechanism: 'PLAIN' }));
    await control.revoke({ sub: 'sub-b', issuer: ISSUER, reason: 'subject logged out' });
    await within(1000, Promise.all([s1.ended, s2.ended]), 'sessions of the subject');
    await afterPendingRevocations(control);
    assert.equal(other.terminated, false, 'same sub at another provider is another person');
    assert.equal(password.terminated, false);
    other.handle.unregister();
    password.handle.unregister();
  });

  it('a logout naming sid and sub ends only that OP session', async () => {
    const mine = register(control, new FakeSession(tokenPrincipal({ user: 'c@example.test', sid: 'c1', subject: 'sub-c', issuer: ISSUER })));
    const other = register(control, new FakeSession(tokenPrincipal({ user: 'c@example.test', sid: 'c2', subject: 'sub-c', issuer: ISSUER })));
    await control.revoke({ sid: 'c1', sub: 'sub-c', issuer: ISSUER, reason: 'logout' });
    await within(1000, mine.ended, 'the named OP session');
    await afterPendingRevocations(control);
    assert.equal(other.terminated, false);
    other.handle.unregister();
  });

  it('revoking a user ends all of their sessions, password ones included; revoking a jti ends that token', async () => {
    const pw = register(control, new FakeSession({ user: 'd@example.test', mechanism: 'LOGIN' }, 'imap'));
    const tok = register(control, new FakeSession(tokenPrincipal({ user: 'D@example.test', jti: 'j-d', issuer: ISSUER }), 'jmap'));
    const bystander = register(control, new FakeSession({ user: 'e@example.test', mechanism: 'LOGIN' }));
    await control.revoke({ user: 'd@example.test', reason: 'admin' });
    await within(1000, Promise.all([pw.ended, tok.ended]), 'user sessions');
    const byJti = register(control, new FakeSession(tokenPrincipal({ user: 'e@example.test', jti: 'j-e', issuer: ISSUER })));
    await control.revoke({ jti: 'j-e', issuer: ISSUER, reason: 'token revoked' });
    assert.equal(await within(1000, byJti.ended, 'jti session'), 'token revoked');
    assert.equal(bystander.terminated, false);
    bystander.handle.unregister();
  });

  it('ends sessions for revocations published by another node on the shared bus', async () => {
    const s = register(control, new FakeSession(tokenPrincipal({ user: 'f@example.test', sid: 'remote-sid', issuer: ISSUER })));
    await bus.publish({ type: 'session-revoked', sid: 'remote-sid', issuer: ISSUER, reason: 'from node 2' });
    assert.equal(await within(1000, s.ended, 'session revoked elsewhere'), 'from node 2');
  });

  it('a delegation taken back on the bus (user and actor) ends only the sessions of that actor as that user', async () => {
    const delegated = register(control, new FakeSession({ user: 'k@example.test', mechanism: 'PLAIN', actor: 'Admin@example.test' }, 'pop3'));
    const own = register(control, new FakeSession({ user: 'k@example.test', mechanism: 'PLAIN' }));
    const asOther = register(control, new FakeSession({ user: 'l@example.test', mechanism: 'PLAIN', actor: 'admin@example.test' }, 'smtp'));
    await bus.publish({ type: 'session-revoked', user: 'K@example.test', actor: 'admin@example.test', reason: 'Delegation revoked' });
    assert.equal(await within(1000, delegated.ended, 'delegated session'), 'Delegation revoked');
    await afterPendingRevocations(control);
    assert.deepEqual([own.terminated, asOther.terminated], [false, false]);
    own.handle.unregister();
    asOther.handle.unregister();
  });

  it('calls terminate once even if two revocations name the session, and survives a throwing callback', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    let calls = 0;
    registry.register({ protocol: 'imap', principal: { user: 'g', mechanism: 'PLAIN' }, peer: '::1', terminate: () => { throw new Error('socket gone'); } });
    registry.register({ protocol: 'smtp', principal: { user: 'g', mechanism: 'PLAIN' }, peer: '::1', terminate: () => { calls += 1; } });
    assert.equal(registry.terminateMatching({ user: 'g' }, 'x'), 2);
    assert.equal(registry.terminateMatching({ user: 'g' }, 'x'), 0);
    assert.equal(calls, 1);
  });

  it('refuses a revocation that names nothing', async () => {
    const s = register(control, new FakeSession({ user: 'h@example.test', mechanism: 'PLAIN' }));
    await assert.rejects(control.revoke({ reason: 'everything?' }), EmptyRevocationError);
    await assert.rejects(control.revoke({ issuer: ISSUER, reason: 'whole provider?' }), EmptyRevocationError);
    await afterPendingRevocations(control);
    assert.equal(s.terminated, false);
    s.handle.unregister();
  });
});
