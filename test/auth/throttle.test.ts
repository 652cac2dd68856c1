// Failed logins: growing delay per peer and per user, then a temporary lock-out; success resets;
// memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/auth/throttle.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const settings = { freeFailures: 2, baseDelayMs: 100, maxDelayMs: 800, lockoutAfter: 6, lockoutMs: 60_000, windowMs: 600_000, maxEntries: 100 };

test('delays grow after the free failures and are capped', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  const delays = [1, 2, 3, 4, 5].map(() => t.recordFailure('10.0.0.1', 'alice'));
  assert.deepEqual(delays, [0, 0, 100, 200, 400]);
  const t2 = new LoginThrottle({ ...settings, lockoutAfter: 100 }, c.now);
  const many = Array.from({ length: 10 }, () => t2.recordFailure('10.0.0.2'));
  assert.equal(Math.max(...many), 800);
});

test('the peer is locked out after lockoutAfter failures, until lockoutMs passes', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 6; i++) t.recordFailure('10.0.0.1', `user${i}`);
  assert.equal(t.isLocked('10.0.0.1'), true);
  assert.equal(t.isLocked('10.0.0.9'), false, 'other peers unaffected');
  c.advance(60_001);
  assert.equal(t.isLocked('10.0.0.1'), false);
});

test('a user attacked from many peers is locked out', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 6; i++) t.recordFailure(`10.0.1.${i}`, 'Alice');
  assert.equal(t.isLocked('10.9.9.9', 'alice'), true, 'user names compare case-insensitively');
  assert.equal(t.isLocked('10.9.9.9', 'bob'), false);
});

test('success resets both the peer and the user', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 4; i++) t.recordFailure('10.0.0.1', 'alice');
  t.recordSuccess('10.0.0.1', 'alice');
  assert.equal(t.recordFailure('10.0.0.1', 'alice'), 0);
});

test('counts start over after a quiet window', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 4; i++) t.recordFailure('10.0.0.1');
  c.advance(600_001);
  assert.equal(t.recordFailure('10.0.0.1'), 0);
});

test('memory is bounded by maxEntries', () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 1000; i++) t.recordFailure(`10.1.${i >> 8}.${i & 255}`, `u${i}`);
  assert.ok(t.size <= 100, `size ${t.size}`);
});
