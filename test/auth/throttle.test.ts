// The login throttle on its own: reservations taken before the credential is checked, growing delays
// then a block per address and per address + user name (never per name alone), success forgiving the
// owner's own failures, IPv6 networks counted as one, and memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type Reservation, type ThrottleEvent } from '../../src/auth/throttle/login-throttle.js';
import { throttleAddress } from '../../src/auth/throttle/address.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

// Delays of 0 ms keep these tests free of timers; the delay sizes are checked through the events.
const settings = {
  userFreeFailures: 2,
  userBlockAfter: 5,
  addressFreeFailures: 4,
  addressBlockAfter: 12,
  baseDelayMs: 0,
  maxDelayMs: 0,
  blockMs: 60_000,
  windowMs: 600_000,
  maxEntries: 100,
  ipv6Prefix: 64,
};

async function reserve(t: LoginThrottle, peer: string, user?: string): Promise<Reservation> {
  const admission = await t.reserve({ peer, user, protocol: 'imap' });
  assert.ok(admission.ok, `reservation for ${user ?? '(no name)'} from ${peer} refused`);
  return admission.reservation;
}

async function fail(t: LoginThrottle, peer: string, user: string | undefined, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await (await reserve(t, peer, user)).failed();
}

async function refusal(t: LoginThrottle, peer: string, user?: string): Promise<string | undefined> {
  const admission = await t.reserve({ peer, user, protocol: 'smtp' });
  if (admission.ok) {
    admission.reservation.released();
    return undefined;
  }
  return admission.refusal;
}

test('parallel attempts beyond the allowance wait for the reserved ones, and are refused once those block the key', async () => {
  const t = new LoginThrottle(settings, clock().now);
  const attempts = Array.from({ length: 50 }, () => t.reserve({ peer: '10.0.0.1', user: 'alice', protocol: 'imap' }));
  // Settle every reservation as a failure as soon as it is granted: only the allowance is granted.
  let granted = 0;
  const outcomes = await Promise.all(
    attempts.map(async (p) => {
      const admission = await p;
      if (!admission.ok) return admission.refusal;
      granted += 1;
      await admission.reservation.failed();
      return 'checked';
    }),
  );
  assert.equal(granted, settings.userBlockAfter);
  assert.equal(outcomes.filter((o) => o === 'blocked').length, 50 - settings.userBlockAfter);
});

test('a waiting attempt goes ahead when a reserved one succeeds instead', async () => {
  const t = new LoginThrottle({ ...settings, userBlockAfter: 1 }, clock().now);
  const first = await reserve(t, '10.0.0.1', 'alice');
  const second = t.reserve({ peer: '10.0.0.1', user: 'alice', protocol: 'imap' });
  first.succeeded();
  const admission = await second;
  assert.ok(admission.ok);
  admission.reservation.released();
});

test('the address + user pair blocks after userBlockAfter failures; other names from that address and that name elsewhere go on', async () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  await fail(t, '10.0.0.1', 'alice', 5);
  assert.equal(await refusal(t, '10.0.0.1', 'alice'), 'blocked');
  assert.equal(await refusal(t, '10.0.0.1', 'ALICE'), 'blocked', 'names compare case-insensitively');
  assert.equal(await refusal(t, '10.0.0.1', 'bob'), undefined, 'a colleague behind the same address');
  assert.equal(await refusal(t, '10.0.0.2', 'alice'), undefined, 'the owner from another address');
  assert.equal(t.addressBlocked('10.0.0.1'), false);
  c.advance(60_001);
  assert.equal(await refusal(t, '10.0.0.1', 'alice'), undefined, 'the block ends');
});

test('failures against many names block the address for every name', async () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 12; i++) await fail(t, '10.0.0.1', `user${i}`, 1);
  assert.equal(t.addressBlocked('10.0.0.1'), true);
  assert.equal(await refusal(t, '10.0.0.1', 'alice'), 'blocked');
  assert.equal(await refusal(t, '10.0.0.1'), 'blocked');
  assert.equal(await refusal(t, '10.0.0.9', 'alice'), undefined, 'other addresses unaffected');
  c.advance(60_001);
  assert.equal(t.addressBlocked('10.0.0.1'), false);
});

test('delays grow past the free failures and are capped; blocks and delays are reported', async () => {
  const events: ThrottleEvent[] = [];
  const t = new LoginThrottle({ ...settings, baseDelayMs: 1, maxDelayMs: 4, userBlockAfter: 8 }, clock().now, (e) => events.push(e));
  await fail(t, '10.0.0.1', 'alice', 8);
  const delays = events.filter((e) => e.action === 'delay').map((e) => (e.action === 'delay' ? e.delayMs : 0));
  // Failures 3..8 of the pair (2 free): 1, 2, 4, 4, 4, 4.
  assert.deepEqual(delays, [1, 2, 4, 4, 4, 4]);
  const block = events.find((e) => e.action === 'block');
  assert.deepEqual(block && { scope: block.scope, peer: block.attempt.peer, user: block.attempt.user, failures: block.failures }, {
    scope: 'address+user',
    peer: '10.0.0.1',
    user: 'alice',
    failures: 8,
  });
});

test("a success clears the pair and takes the owner's failures off the address, but not other names'", async () => {
  const t = new LoginThrottle({ ...settings, addressBlockAfter: 6 }, clock().now);
  await fail(t, '10.0.0.1', 'alice', 4);
  await fail(t, '10.0.0.1', 'bob', 1);
  (await reserve(t, '10.0.0.1', 'alice')).succeeded();
  // Address count is now 1 (bob's): five more failures block it at six.
  await fail(t, '10.0.0.1', 'carol', 4);
  assert.equal(t.addressBlocked('10.0.0.1'), false);
  await fail(t, '10.0.0.1', 'dave', 1);
  assert.equal(t.addressBlocked('10.0.0.1'), true);
});

test('released reservations (no verdict) count nothing', async () => {
  const t = new LoginThrottle(settings, clock().now);
  for (let i = 0; i < 20; i++) (await reserve(t, '10.0.0.1', 'alice')).released();
  assert.equal(await refusal(t, '10.0.0.1', 'alice'), undefined);
});

test('failures are forgotten after a quiet window', async () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  await fail(t, '10.0.0.1', 'alice', 4);
  c.advance(600_001);
  await fail(t, '10.0.0.1', 'alice', 4);
  assert.equal(await refusal(t, '10.0.0.1', 'alice'), undefined);
});

test('an IPv6 /64 counts as one address; IPv4-mapped addresses as their IPv4 address', async () => {
  assert.equal(throttleAddress('2001:db8:1:2:aaaa::1', 64), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(throttleAddress('2001:DB8:1:2::ffff', 64), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(throttleAddress('2001:db8:1:3::1', 48), '2001:db8:1:0:0:0:0:0/48');
  assert.equal(throttleAddress('::ffff:192.0.2.7', 64), '192.0.2.7');
  assert.equal(throttleAddress('::1', 128), '::1');
  const t = new LoginThrottle(settings, clock().now);
  for (let i = 0; i < 12; i++) await fail(t, `2001:db8:1:2::${i + 1}`, `user${i}`, 1);
  assert.equal(t.addressBlocked('2001:db8:1:2:ffff::9'), true);
  assert.equal(t.addressBlocked('2001:db8:1:3::1'), false);
});

test('memory is bounded by maxEntries', async () => {
  const t = new LoginThrottle(settings, clock().now);
  for (let i = 0; i < 1000; i++) await fail(t, `10.1.${i >> 8}.${i & 255}`, `u${i}`, 1);
  assert.ok(t.size <= 100, `size ${t.size}`);
});

test('keys that have decayed to nothing are dropped', async () => {
  const c = clock();
  const t = new LoginThrottle(settings, c.now);
  for (let i = 0; i < 30; i++) await fail(t, `10.2.0.${i}`, 'x', 1);
  c.advance(600_001);
  (await reserve(t, '10.9.9.9', 'y')).released();
  assert.ok(t.size <= 2, `size ${t.size}`);
});
