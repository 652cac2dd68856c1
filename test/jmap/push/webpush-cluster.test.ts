// Push subscriptions on several nodes (one store): two WebPushService instances over one SQLite store
// stand for two nodes, their announcements carried by an in-process bus as the cluster bus carries
// them. A subscription created and verified on one node is held by the other, which pushes the
// changes made there (and sends no second PushVerification); one destroyed on one node is dropped by
// the other; a node that missed an announcement holds the subscription after a resync.
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

let dir: string;
let bus: MemoryEventBus;
let store: MailStore;
let endpoint: PushEndpoint;

interface Node {
  service: WebPushService;
  /** The watch callbacks the service registered, by user: how the test plays this node's own changes. */
  watchers: Map<string, (change: StateChange) => void>;
  /** While false, this node hears no announcements (its listening connection is down). */
  listening: boolean;
  resync(): void;
}

const nodes: Node[] = [];

function newNode(): Node {
  const resyncs = new Set<() => void>();
  const node: Node = {
    watchers: new Map(),
    listening: true,
    resync: () => resyncs.forEach((h) => h()),
    service: undefined as unknown as WebPushService,
  };
  node.service = new WebPushService({
    store,
    watch: (user, onChange) => {
      node.watchers.set(user, onChange);
      return () => node.watchers.delete(user);
    },
    announce: (change) => void bus.publish({ type: 'push-subscription-changed', ...change }),
    onAnnounced: (handler) => bus.onPushSubscription((event) => node.listening && handler(event)),
    onResync: (handler) => {
      resyncs.add(handler);
      return () => resyncs.delete(handler);
    },
    onRevocation: (handler) => bus.onRevocation(handler),
    logger: silentLogger(),
    settings: { allowPrivate: true, maxExpirySeconds: 7 * 86_400 },
    timing: { coalesceMs: 20, backoffMs: 20, maxBackoffMs: 200, maxAttempts: 4, timeoutMs: 1_000 },
  });
  return node;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-webpush-cluster-'));
  bus = new MemoryEventBus(silentLogger());
  store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  endpoint = new PushEndpoint();
  await endpoint.start();
  nodes.push(newNode(), newNode());
  for (const node of nodes) await node.service.start();
});
after(async () => {
  for (const node of nodes) node.service.stop();
  await endpoint.close();
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function subscription(user: string, path: string): PushSubscriptionRecord {
  n += 1;
  return unverifiedSubscription(`sub-${n}`, user, endpoint.url(path));
}

const bodies = (path: string): Array<Record<string, unknown>> => endpoint.on(path).map((p) => JSON.parse(p.body.toString('utf8')) as Record<string, unknown>);
const stateChanges = (path: string): number => bodies(path).filter((b) => b['@type'] === 'StateChange').length;

/** Waits (under a deadline) until `node` watches `user`, i.e. holds a subscription of theirs. */
async function watched(node: Node, user: string, ms = 5000): Promise<(change: StateChange) => void> {
  const end = Date.now() + ms;
  for (;;) {
    const watcher = node.watchers.get(user);
    if (watcher) return watcher;
    if (Date.now() > end) assert.fail(`the node never held a subscription of ${user}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Created on node 0 and verified there; returns the record. */
async function createVerified(user: string, path: string): Promise<PushSubscriptionRecord> {
  const record = subscription(user, path);
  await nodes[0]!.service.create(record);
  await endpoint.until(`the verification on ${path}`, () => endpoint.on(path).length >= 1);
  await nodes[0]!.service.update(record, { verified: true });
  return { ...record, verified: true };
}

const change = (email: string): StateChange => ({ '@type': 'StateChange', changed: { acc: { Email: email } } });

/**
 * Feeds changes to `user`'s watcher on `node` until `path` has `count` StateChanges: the node pushes
 * only once it has heard of the verification, which is announced after the creation.
 */
async function pushedBy(node: Node, user: string, path: string, count: number): Promise<void> {
  const end = Date.now() + 10_000;
  for (let i = 0; stateChanges(path) < count; i++) {
    if (Date.now() > end) assert.fail(`no StateChange pushed to ${path}`);
    node.watchers.get(user)?.(change(`${path}-${i}`));
    await endpoint.until(`a StateChange on ${path}`, () => stateChanges(path) >= count, 250).catch(() => undefined);
  }
}

test('a subscription created and verified on one node is pushed by the other for its changes, with one PushVerification', async () => {
  const user = 'alice@example.com';
  await createVerified(user, '/a');
  await watched(nodes[1]!, user);
  await pushedBy(nodes[1]!, user, '/a', 1);
  assert.equal(bodies('/a').filter((b) => b['@type'] === 'PushVerification').length, 1, 'only the creating node verifies');
});

test('a subscription destroyed on one node is dropped by the other', async () => {
  const user = 'bob@example.com';
  const first = await createVerified(user, '/b1');
  await watched(nodes[1]!, user);
  await pushedBy(nodes[1]!, user, '/b1', 1);
  await nodes[0]!.service.destroy([first.id]);
  // Barrier: a second subscription of the same user, announced after the destroy. Once node 1 pushes
  // to it, node 1 has handled the destroy; a change it pushes then goes to the second one only.
  await createVerified(user, '/b2');
  await pushedBy(nodes[1]!, user, '/b2', 1);
  const before = stateChanges('/b1');
  await pushedBy(nodes[1]!, user, '/b2', 2);
  assert.equal(stateChanges('/b1'), before, 'nothing pushed to the destroyed subscription');
});

test('a node that missed the announcements holds the subscription after a resync', async () => {
  const user = 'carol@example.com';
  nodes[1]!.listening = false;
  await createVerified(user, '/c');
  // Node 0 heard its own announcements; node 1 did not.
  await watched(nodes[0]!, user);
  assert.equal(nodes[1]!.watchers.get(user), undefined);
  nodes[1]!.listening = true;
  nodes[1]!.resync();
  await watched(nodes[1]!, user);
  await pushedBy(nodes[1]!, user, '/c', 1);
});

test('a change made on a node before it hears of the verification is pushed by that node once it does', async () => {
  const user = 'dave@example.com';
  const record = subscription(user, '/d');
  await nodes[0]!.service.create(record);
  const onNode1 = await watched(nodes[1]!, user);
  await endpoint.until('the verification on /d', () => endpoint.on('/d').length >= 1);
  // The verification is set on node 0, and its announcement has not reached node 1 yet.
  nodes[1]!.listening = false;
  await nodes[0]!.service.update(record, { verified: true });
  onNode1(change('made-before-node-1-knew'));
  nodes[1]!.listening = true;
  // The announcement arrives late: node 1 now holds the subscription verified, and no further
  // change is made; what changed in between must still be pushed (node 0 pushes only its own changes).
  await bus.publish({ type: 'push-subscription-changed', user, id: record.id });
  const pushed = await endpoint.until('the StateChange made before node 1 knew', () =>
    bodies('/d').find((b) => b['@type'] === 'StateChange'),
  );
  assert.deepEqual(pushed['changed'], { acc: { Email: 'made-before-node-1-knew' } });
});
