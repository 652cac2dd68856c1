// How the push delivery treats endpoints (RFC 8620 §7.2, RFC 8030): a storm of changes becomes a
// few POSTs carrying the newest states; 5xx and 429 are retried with backoff until delivered; 404 and
// 410 destroy the subscription; a stalled endpoint holds up no other subscription. The service runs
// over a real SQLite store; the state changes are fed the way the JMAP app feeds them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../../src/events/memory-bus.js';
import { openSqliteStore } from '../../../src/store/sqlite/open.js';
import type { MailStore, PushSubscriptionRecord } from '../../../src/store/types.js';
import type { StateChange } from '../../../src/jmap/backend.js';
import { silentLogger } from '../../../src/log/logger.js';
import { WebPushService } from '../../../src/jmap/push/webpush/service.js';
import { PushEndpoint } from '../../support/push-endpoint.js';
import { unverifiedSubscription } from './records.js';
import { waitFor } from '../../support/wait.js';

let dir: string;
let bus: MemoryEventBus;
let store: MailStore;
let endpoint: PushEndpoint;
let service: WebPushService;
/** The watch callbacks the service registered, by user: how the tests play the event bus. */
const watchers = new Map<string, (change: StateChange) => void>();

/** The service as the JMAP app builds it, with short delays; state changes are fed through `watchers`. */
function newService(): WebPushService {
  return new WebPushService({
    store,
    watch: (user, onChange) => {
      watchers.set(user, onChange);
      return () => watchers.delete(user);
    },
    onRevocation: (handler) => bus.onRevocation(handler),
    logger: silentLogger(),
    settings: { allowPrivate: true, maxExpirySeconds: 7 * 86_400 },
    timing: { coalesceMs: 20, backoffMs: 20, maxBackoffMs: 200, maxAttempts: 4, timeoutMs: 1_000 },
  });
}

/** An unverified subscription of `user` on the endpoint's `path`. */
function subscription(id: string, user: string, path: string): PushSubscriptionRecord {
  return unverifiedSubscription(id, user, endpoint.url(path));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-webpush-'));
  bus = new MemoryEventBus(silentLogger());
  store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  endpoint = new PushEndpoint();
  await endpoint.start();
  service = newService();
  await service.start();
});
after(async () => {
  service.stop();
  await endpoint.close();
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** A verified subscription of a user of its own on `path` (no keys: the body is plain JSON). */
async function verified(path: string): Promise<{ user: string; record: PushSubscriptionRecord }> {
  const user = `user${++n}@example.com`;
  const record = subscription(`sub-${n}`, user, path);
  await service.create(record);
  await endpoint.until(`the verification on ${path}`, () => endpoint.on(path).length >= 1);
  await service.update(record, { verified: true });
  return { user, record: { ...record, verified: true } };
}

function emit(user: string, email: string): void {
  watchers.get(user)!({ '@type': 'StateChange', changed: { acc: { Email: email } } });
}

const bodies = (path: string): Array<Record<string, any>> => endpoint.on(path).slice(1).map((p) => JSON.parse(p.body.toString()) as Record<string, any>);

test('a storm of 1000 changes becomes one POST with the newest state', async () => {
  const { user } = await verified('/storm');
  for (let i = 1; i <= 1000; i++) emit(user, `s${i}`);
  await endpoint.until('the coalesced push', () => bodies('/storm').find((b) => b.changed.acc.Email === 's1000'));
  assert.equal(bodies('/storm').length, 1, `POSTs: ${bodies('/storm').length}`);
  const push = endpoint.on('/storm')[1]!;
  assert.equal(push.headers['content-type'], 'application/json');
  assert.ok(Number(push.headers.ttl) > 0);
  assert.equal(push.headers['content-encoding'], undefined, 'no keys, no encryption');
});

test('503 and 429 are retried with backoff; changes meanwhile are merged into the retry', async () => {
  const { user } = await verified('/flaky');
  endpoint.answer('/flaky', 503, 429);
  emit(user, 'f1');
  await endpoint.until('the first failed try', () => endpoint.on('/flaky').length >= 2);
  emit(user, 'f2');
  const delivered = await endpoint.until('the delivered retry', () => (endpoint.on('/flaky').length >= 4 ? bodies('/flaky') : undefined));
  assert.equal(delivered.at(-1)!.changed.acc.Email, 'f2', 'the newest state wins');
  assert.equal((await store.listPushSubscriptions(user)).length, 1, 'retries keep the subscription');
});

test('a message failing every try is dropped after maxAttempts; the subscription stays', async () => {
  const { user } = await verified('/down');
  endpoint.answer('/down', 500, 500, 500, 500);
  emit(user, 'd1');
  await endpoint.until('four tries', () => endpoint.on('/down').length >= 5);
  emit(user, 'd2');
  await endpoint.until('the next change, delivered', () => bodies('/down').find((b) => b.changed.acc.Email === 'd2'));
  assert.equal(bodies('/down').length, 5, 'four tries of d1, one of d2');
  assert.equal((await store.listPushSubscriptions(user)).length, 1);
});

for (const status of [404, 410]) {
  test(`${status} from the push service destroys the subscription`, async () => {
    const path = `/gone-${status}`;
    const { user } = await verified(path);
    endpoint.answer(path, status);
    emit(user, 'g1');
    await waitFor('the subscription to be destroyed', async () => (await store.listPushSubscriptions(user)).length === 0);
    assert.equal(watchers.has(user), false, 'no longer watching the user');
  });
}

test('a stalled endpoint delays no other subscription, and its request times out into a retry', async () => {
  endpoint.hold('/stalled');
  const stalled = subscription('stalled', 'stalled@example.com', '/stalled');
  // Its PushVerification is held unanswered by the endpoint.
  await service.create(stalled);
  await endpoint.until('the held verification', () => endpoint.on('/stalled').length >= 1);
  const fast = await verified('/fast');
  emit(fast.user, 'y1');
  await endpoint.until('the fast push', () => bodies('/fast').find((b) => b.changed.acc.Email === 'y1'));
  // timeoutMs (1 s) ends the held request, and the verification is tried again.
  await endpoint.until('a retry to the stalled endpoint after the timeout', () => endpoint.on('/stalled').length >= 2);
  await service.destroy([stalled.id]);
});

test("a delegation taken back (session-revoked naming an actor) leaves the user's own subscriptions", async () => {
  const kept = { ...subscription('d-kept', 'owner@example.com', '/d-kept'), verified: true };
  const gone = { ...subscription('d-gone', 'leaver@example.com', '/d-gone'), verified: true };
  await service.create(kept);
  await service.create(gone);
  await bus.publish({ type: 'session-revoked', user: 'owner@example.com', actor: 'delegate@example.com', reason: 'Delegation revoked' });
  // Barrier: a later revocation, handled after the first, is seen to take effect.
  await bus.publish({ type: 'session-revoked', user: 'leaver@example.com', reason: 'user revoked' });
  await waitFor('the later revocation to destroy its subscription', async () => (await store.listPushSubscriptions('leaver@example.com')).length === 0);
  assert.deepEqual((await store.listPushSubscriptions('owner@example.com')).map((r) => r.id), ['d-kept']);
  await service.destroy(['d-kept']);
});

test('a session-revoked event for the OP session destroys only the subscriptions bound to it', async () => {
  const base = (id: string, sid: string): PushSubscriptionRecord => ({
    ...subscription(id, 'oidc@example.com', `/${id}`),
    binding: { credential: `token https://op ${sid}`, issuer: 'https://op', sid },
    verified: true,
  });
  await store.addPushSubscription(base('s-a', 'sid-a'));
  await store.addPushSubscription(base('s-b', 'sid-b'));
  // A restart loads them from the store.
  service.stop();
  service = newService();
  await service.start();
  await bus.publish({ type: 'session-revoked', sid: 'sid-a', issuer: 'https://op', reason: 'logout' });
  await waitFor('s-a to go', async () => !(await store.listPushSubscriptions('oidc@example.com')).some((r) => r.id === 's-a'));
  assert.deepEqual((await store.listPushSubscriptions('oidc@example.com')).map((r) => r.id), ['s-b']);
  watchers.get('oidc@example.com')!({ '@type': 'StateChange', changed: { acc: { Mailbox: 'm1' } } });
  await endpoint.until('s-b still pushed to after the restart', () => endpoint.on('/s-b').length >= 1);
  await service.destroy(['s-b']);
});
