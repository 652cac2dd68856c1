import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log/logger.js';
import { expiryDeadline } from '../../src/sessions/expiry.js';
import { SessionRegistry, TOKEN_EXPIRED_REASON } from '../../src/sessions/registry.js';
import { FakeSession, register, settle, tokenPrincipal, within } from './helpers.js';

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

  it('disconnect: ends the session after the grace period past the token expiry, not before', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(300) }), 'imap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 0.3 },
    }));
    await settle(250);
    assert.equal(s.terminated, false, 'the token is still valid');
    assert.equal(await within(2000, s.ended, 'expired session'), TOKEN_EXPIRED_REASON);
    assert.equal(registry.size, 0);
    assert.equal(registry.pendingExpiryTimers, 0);
  });

  it('disconnect: a token already past expiry and grace ends at once, but not inside register()', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(-10_000) }), 'smtp', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 5 },
    });
    register(registry, s);
    assert.equal(s.terminated, false);
    await within(1000, s.ended, 'long-expired session');
  });

  it('ignore: keeps a session whose token has expired', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(-1000) }), 'imap', {
      tokenExpiry: { action: 'ignore' },
    }));
    assert.equal(registry.pendingExpiryTimers, 0);
    await settle(200);
    assert.equal(s.terminated, false);
    s.handle.unregister();
  });

  it('unregister clears the timer, so a closed connection is never terminated later', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(100) }), 'jmap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 0 },
    }));
    assert.equal(registry.pendingExpiryTimers, 1);
    s.handle.unregister();
    assert.equal(registry.pendingExpiryTimers, 0);
    await settle(300);
    assert.equal(s.terminated, false);
  });

  it('a token expiring in months arms a timer without overflowing setTimeout', async () => {
    const registry = new SessionRegistry({ logger: silentLogger() });
    const s = register(registry, new FakeSession(tokenPrincipal({ user: 'a', tokenExpiry: inMs(90 * 24 * 3600_000) }), 'imap', {
      tokenExpiry: { action: 'disconnect', graceSeconds: 60 },
    }));
    await settle(100);
    assert.equal(s.terminated, false, 'an overflowing delay would fire at once');
    s.handle.unregister();
    registry.close();
  });
});
