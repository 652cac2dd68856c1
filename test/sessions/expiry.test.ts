import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log/logger.js';
import { expiryDeadline } from '../../src/sessions/expiry.js';
import { SessionRegistry, TOKEN_EXPIRED_REASON } from '../../src/sessions/registry.js';
import { FakeSession, register, tokenPrincipal } from './helpers.js';

const inMs = (ms: number): Date => new Date(Date.now() + ms);

describe('token expiry policy', () => {
  it('computes the deadline as token expiry plus grace, and none for ignore or password sessions', () => {
    const exp = new Date('2030-01-01T00:00:00Z');
    const p = tokenPrincipal({ user: 'a', tokenExpiry: exp });
    assert.equal(expiryDeadline(p, { action: 'disconnect', graceSeconds: 90 })?.toISOString(), '2030-01-01T00:01:30.000Z');
    assert.equal(expiryDeadline(p, { action: 'ignore' }), undefined);
    assert.equal(expiryDeadline(p, undefined), undefined);
    assert.equal(expiryDeadline({ user: 'a', mechanism: 'PLAIN' }, { action: 'disconnect', graceSeconds: 0 }), undefined);
  });

  // Expiry is a matter of timers: the clock and setTimeout are mocked, so each test moves time to the
  // exact instant it is about and nothing waits for real time to pass.
  it('disconnect: ends the session after the grace period past the token expiry, not before', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(300) }), 'imap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 0.3 },
    }));
    t.mock.timers.tick(599);
    assert.equal(s.terminated, false, 'the token is still valid, or within its grace period');
    t.mock.timers.tick(1);
    assert.deepEqual(s.reasons, [TOKEN_EXPIRED_REASON]);
    assert.equal(registry.size, 0);
    assert.equal(registry.pendingExpiryTimers, 0);
  });

  it('disconnect: a token already past expiry and grace ends at once, but not inside register()', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(-10_000) }), 'smtp', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 5 },
    });
    register(registry, s);
    assert.equal(s.terminated, false);
    t.mock.timers.tick(1);
    assert.deepEqual(s.reasons, [TOKEN_EXPIRED_REASON]);
  });

  it('ignore: keeps a session whose token has expired', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(-1000) }), 'imap', {
      tokenExpiry: { action: 'ignore' },
    }));
    assert.equal(registry.pendingExpiryTimers, 0);
    t.mock.timers.tick(24 * 3600_000);
    assert.equal(s.terminated, false);
    s.handle.unregister();
  });

  it('unregister clears the timer, so a closed connection is never terminated later', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(100) }), 'jmap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 0 },
    }));
    assert.equal(registry.pendingExpiryTimers, 1);
    s.handle.unregister();
    assert.equal(registry.pendingExpiryTimers, 0);
    t.mock.timers.tick(24 * 3600_000);
    assert.equal(s.terminated, false);
  });

  it('a token expiring in months arms a timer without overflowing setTimeout', (t) => {
    // Real timers, observed: Node fires a delay above 2^31-1 ms after 1 ms, which a mocked clock
    // would not reproduce; so every delay the registry asks for is checked instead.
    const armed = t.mock.method(globalThis, 'setTimeout');
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(90 * 24 * 3600_000) }), 'imap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 60 },
    }));
    const delays = armed.mock.calls.map((call) => Number(call.arguments[1]));
    assert.ok(delays.length > 0, 'a timer is armed');
    assert.ok(delays.every((d) => d > 0 && d <= 2 ** 31 - 1), `delays within setTimeout's range: ${delays.join(', ')}`);
    assert.equal(s.terminated, false);
    s.handle.unregister();
    registry.close();
  });
});
