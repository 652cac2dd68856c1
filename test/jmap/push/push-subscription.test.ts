// PushSubscription (RFC 8620 §7.2) against a real JMAP server and a push endpoint on loopback
// (allowed by webpush.prevent.server.side.request.forgery=false, i.e. webPush.allowPrivate): the
// PushVerification arrives encrypted (RFC 8291) at once; nothing else is sent until the client has
// set the code; then mail delivered by the delivery core reaches the endpoint as an encrypted
// StateChange whose Email/Mailbox states are the ones Email/get and Mailbox/get return.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { accountIdOf, call, message, startHarness, type Call, type Harness } from '../harness.js';
import { localDelivery } from '../local-delivery.js';
import { PushEndpoint, type ReceivedPush } from '../../support/push-endpoint.js';
import { decryptWebPush, newReceiver, type ReceiverKeys } from '../../support/webpush-decrypt.js';
import { waitFor } from '../../support/wait.js';
import type { DeliveryService } from '../../../src/core/delivery.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CORE = ['urn:ietf:params:jmap:core'];
const MAIL = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];
let h: Harness;
let endpoint: PushEndpoint;
let delivery: DeliveryService;
let aliceId: string;

before(async () => {
  let made: DeliveryService | undefined;
  h = await startHarness({
    config: { webPush: { allowPrivate: true } },
    delivery: (store, users, logger) => (made = localDelivery(store, users, logger)),
    webPushTiming: { coalesceMs: 20, backoffMs: 20 },
  });
  delivery = made!;
  endpoint = new PushEndpoint();
  await endpoint.start();
  aliceId = await accountIdOf(h);
});
after(async () => {
  await h.close();
  await endpoint.close();
});

type Json = Record<string, any>;

function keysOf(r: ReceiverKeys): { p256dh: string; auth: string } {
  return { p256dh: r.publicKey.toString('base64url'), auth: r.authSecret.toString('base64url') };
}

function open(push: ReceivedPush, receiver: ReceiverKeys): Json {
  assert.equal(push.headers['content-type'], 'application/json');
  assert.equal(push.headers['content-encoding'], 'aes128gcm');
  assert.match(String(push.headers.ttl), /^\d+$/);
  return JSON.parse(decryptWebPush(push.body, receiver).toString('utf8')) as Json;
}

async function pushSet(args: Json, user = ALICE): Promise<Json> {
  const [[name, result]] = (await call(h, [['PushSubscription/set', args, '0']], CORE, h.basic(user))) as Call[];
  assert.equal(name, 'PushSubscription/set', JSON.stringify(result));
  return result as Json;
}

async function pushGet(args: Json, user = ALICE): Promise<Call> {
  const [response] = await call(h, [['PushSubscription/get', args, '0']], CORE, h.basic(user));
  return response!;
}

async function deliverToAlice(subject: string): Promise<void> {
  const result = await delivery.submit({ from: BOB, to: [ALICE], bytes: message({ subject }), principal: { user: BOB, mechanism: 'BASIC' } });
  assert.equal(result.outcomes[0]?.status, 'delivered');
}

async function mailStates(): Promise<{ Email: string; Mailbox: string }> {
  const r = await call(h, [
    ['Email/get', { accountId: aliceId, ids: [] }, 'e'],
    ['Mailbox/get', { accountId: aliceId, ids: [] }, 'm'],
  ], MAIL);
  return { Email: (r[0]![1] as Json).state, Mailbox: (r[1]![1] as Json).state };
}

/** Creates a subscription on `path` and completes its verification; returns its id. */
async function subscribe(path: string, receiver: ReceiverKeys, extra: Json = {}): Promise<string> {
  const created = await pushSet({ create: { c: { deviceClientId: `dev-${path}`, url: endpoint.url(path), keys: keysOf(receiver), ...extra } } });
  const id = created.created?.c?.id as string;
  assert.ok(id, JSON.stringify(created));
  const verification = await endpoint.until('PushVerification', () => endpoint.on(path)[0]);
  const code = open(verification, receiver).verificationCode as string;
  const updated = await pushSet({ update: { [id]: { verificationCode: code } } });
  assert.deepEqual(updated.updated, { [id]: null });
  return id;
}

test('RFC 8620 §7.2: create → encrypted PushVerification → code set → delivered mail pushes a StateChange with the session\'s states', async () => {
  const receiver = newReceiver(randomBytes(16));
  const before = Date.now();
  const created = await pushSet({ create: { a: { deviceClientId: 'phone-1', url: endpoint.url('/a'), keys: keysOf(receiver), types: null } } });
  assert.equal(created.accountId, undefined, '§7.2.2: no accountId');
  assert.equal(created.newState, undefined, '§7.2.2: no oldState/newState');
  const id = created.created.a.id as string;
  // Clamped to the server's maximum (7 days by default) when none is given.
  const expires = Date.parse(created.created.a.expires as string);
  assert.ok(expires > before && expires <= Date.now() + 7 * 86_400_000, created.created.a.expires);

  const verification = await endpoint.until('PushVerification', () => endpoint.on('/a')[0]);
  const object = open(verification, receiver);
  assert.equal(object['@type'], 'PushVerification');
  assert.equal(object.pushSubscriptionId, id);
  assert.match(object.verificationCode, /^[0-9a-f]{32}$/);

  // Unverified: mail arrives, nothing but the verification is sent; /get shows no code yet.
  await deliverToAlice('before verification');
  const [, unverified] = await pushGet({ ids: [id] });
  assert.equal((unverified as Json).list[0].verificationCode, null);

  // §7.2.2: a wrong code is invalidProperties.
  const wrong = await pushSet({ update: { [id]: { verificationCode: 'f'.repeat(32) } } });
  assert.equal(wrong.notUpdated[id].type, 'invalidProperties');
  assert.deepEqual(wrong.notUpdated[id].properties, ['verificationCode']);

  const right = await pushSet({ update: { [id]: { verificationCode: object.verificationCode } } });
  assert.deepEqual(right.updated, { [id]: null });
  assert.equal(endpoint.on('/a').length, 1, 'nothing but the PushVerification before the code was set');

  await deliverToAlice('after verification');
  const states = await mailStates();
  const change = await endpoint.until('a StateChange with the current Email state', () =>
    endpoint.on('/a').slice(1).map((p) => open(p, receiver)).find((c) => c.changed?.[aliceId]?.Email === states.Email),
  );
  assert.equal(change['@type'], 'StateChange');
  assert.equal(change.changed[aliceId].Mailbox, states.Mailbox);
  assert.deepEqual(Object.keys(change.changed), [aliceId]);

  // /get: the client's code now, never url or keys.
  const [name, got] = await pushGet({ ids: null });
  assert.equal(name, 'PushSubscription/get');
  const mine = (got as Json).list.find((s: Json) => s.id === id);
  assert.deepEqual(Object.keys(mine).sort(), ['deviceClientId', 'expires', 'id', 'types', 'verificationCode']);
  assert.equal(mine.verificationCode, object.verificationCode);
  assert.equal((got as Json).accountId, undefined);
  assert.equal((got as Json).state, undefined);
  await pushSet({ destroy: [id] });
});

test('RFC 8620 §7.2.1: url and keys are never returned; asking for them is forbidden', async () => {
  for (const properties of [['url'], ['id', 'keys']]) {
    const [name, args] = await pushGet({ properties });
    assert.equal(name, 'error');
    assert.equal((args as Json).type, 'forbidden');
  }
  const [name, args] = await pushGet({ properties: ['colour'] });
  assert.equal(name, 'error');
  assert.equal((args as Json).type, 'invalidArguments');
});

test('RFC 8620 §7.2: a subscription is only visible to the credentials that made it', async () => {
  const receiver = newReceiver(randomBytes(16));
  const id = await subscribe('/own', receiver);
  const [, bobs] = await pushGet({ ids: [id] }, BOB);
  assert.deepEqual((bobs as Json).list, []);
  assert.deepEqual((bobs as Json).notFound, [id]);
  const bobDestroy = await pushSet({ destroy: [id] }, BOB);
  assert.equal(bobDestroy.notDestroyed[id].type, 'notFound');
  const bobUpdate = await pushSet({ update: { [id]: { types: ['Email'] } } }, BOB);
  assert.equal(bobUpdate.notUpdated[id].type, 'notFound');
  await pushSet({ destroy: [id] });
});

test('types: only the listed types are pushed, and a change of other types sends nothing', async () => {
  const receiver = newReceiver(randomBytes(16));
  const id = await subscribe('/types', receiver, { types: ['Email'] });
  // A mailbox created changes Mailbox only: filtered out, no POST.
  const created = await call(h, [['Mailbox/set', { accountId: aliceId, create: { m: { name: 'Types test' } } }, '0']], MAIL);
  assert.ok((created[0]![1] as Json).created?.m, JSON.stringify(created));
  await deliverToAlice('types');
  const states = await mailStates();
  await endpoint.until('the Email change', () =>
    endpoint.on('/types').slice(1).map((p) => open(p, receiver)).find((c) => c.changed[aliceId].Email === states.Email),
  );
  for (const push of endpoint.on('/types').slice(1)) assert.deepEqual(Object.keys(open(push, receiver).changed[aliceId]), ['Email']);
  await pushSet({ destroy: [id] });
});

test('destroy: gone from /get and from the store, and no more pushes', async () => {
  const receiver = newReceiver(randomBytes(16));
  const id = await subscribe('/gone', receiver);
  const destroyed = await pushSet({ destroy: [id] });
  assert.deepEqual(destroyed.destroyed, [id]);
  const [, got] = await pushGet({ ids: [id] });
  assert.deepEqual((got as Json).notFound, [id]);
  assert.equal((await h.store.listPushSubscriptions(ALICE)).some((r) => r.id === id), false);
  // A later subscription on another path does get the next change; the destroyed one does not.
  const witness = newReceiver(randomBytes(16));
  const other = await subscribe('/witness', witness);
  const before = endpoint.on('/gone').length;
  await deliverToAlice('after destroy');
  await endpoint.until('the witness push', () => endpoint.on('/witness').length >= 2);
  assert.equal(endpoint.on('/gone').length, before);
  await pushSet({ destroy: [other] });
});

test('expires: clamped to the maximum, a past one refused, and an expired subscription is destroyed instead of pushed', async () => {
  const far = await pushSet({ create: { f: { deviceClientId: 'far', url: endpoint.url('/far'), expires: '2099-01-01T00:00:00Z' } } });
  const clamped = Date.parse(far.created.f.expires as string);
  assert.ok(clamped <= Date.now() + 7 * 86_400_000 && clamped > Date.now() + 6 * 86_400_000, far.created.f.expires);
  // The RFC's example returns the clamped expiry in `updated` too.
  const extended = await pushSet({ update: { [far.created.f.id]: { expires: '2099-06-01T00:00:00Z' } } });
  assert.ok(extended.updated[far.created.f.id].expires, JSON.stringify(extended));
  const past = await pushSet({ create: { p: { deviceClientId: 'past', url: endpoint.url('/past'), expires: '2001-01-01T00:00:00Z' } } });
  assert.deepEqual(past.notCreated.p.properties, ['expires']);

  const receiver = newReceiver(randomBytes(16));
  const soon = new Date(Date.now() + 1500).toISOString();
  const id = await subscribe('/soon', receiver, { expires: soon });
  await waitFor('the expiry to pass', () => Date.now() > Date.parse(soon) + 10);
  await deliverToAlice('after expiry');
  await waitFor('the expired subscription to be destroyed', async () => !(await h.store.listPushSubscriptions(ALICE)).some((r) => r.id === id), 10_000);
  assert.equal(endpoint.on('/soon').length, 1, 'only the verification was ever sent');
  await pushSet({ destroy: [far.created.f.id] });
});

test('invalid arguments and properties are refused as such, never serverFail', async () => {
  const good = { deviceClientId: 'x', url: endpoint.url('/bad') };
  const result = await pushSet({
    create: {
      noUrl: { deviceClientId: 'x' },
      noDevice: { url: endpoint.url('/bad') },
      badUrl: { ...good, url: 'not a url' },
      ftp: { ...good, url: 'ftp://example.com/x' },
      badKeys: { ...good, keys: { p256dh: 'AAAA', auth: 'AAAA' } },
      keysShape: { ...good, keys: 'yes' },
      code: { ...good, verificationCode: 'abc' },
      types: { ...good, types: [1, 2] },
      expires: { ...good, expires: 'tomorrow' },
      serverSet: { ...good, id: 'mine' },
      unknown: { ...good, colour: 'blue' },
    },
  });
  const types = Object.fromEntries(Object.entries(result.notCreated as Json).map(([k, v]) => [k, [(v as Json).type, (v as Json).properties]]));
  assert.deepEqual(types, {
    noUrl: ['invalidProperties', ['url']],
    noDevice: ['invalidProperties', ['deviceClientId']],
    badUrl: ['invalidProperties', ['url']],
    ftp: ['invalidProperties', ['url']],
    badKeys: ['invalidProperties', ['keys']],
    keysShape: ['invalidProperties', ['keys']],
    code: ['invalidProperties', ['verificationCode']],
    types: ['invalidProperties', ['types']],
    expires: ['invalidProperties', ['expires']],
    serverSet: ['invalidProperties', ['id']],
    unknown: ['invalidProperties', ['colour']],
  });
  assert.equal(result.created, null);

  const id = (await pushSet({ create: { ok: good } })).created.ok.id as string;
  const updates = await pushSet({ update: { [id]: { url: endpoint.url('/elsewhere') } } });
  assert.deepEqual(updates.notUpdated[id].properties, ['url'], 'url is immutable');
  const nullCode = await pushSet({ update: { [id]: { verificationCode: null } } });
  assert.equal(nullCode.notUpdated[id].type, 'invalidProperties');

  for (const args of [{ create: [] }, { destroy: 'all' }, { update: 5 }]) {
    const [[name, err]] = await call(h, [['PushSubscription/set', args as Json, '0']], CORE);
    assert.equal(name, 'error');
    assert.equal((err as Json).type, 'invalidArguments');
  }
  const [[name, err]] = await call(h, [['PushSubscription/get', { ids: 'all' }, '0']], CORE);
  assert.equal(name, 'error');
  assert.equal((err as Json).type, 'invalidArguments');
  await pushSet({ destroy: [id] });
});

test('RFC 8620 §7.2: revoked credentials destroy their subscriptions', async () => {
  const id = (await pushSet({ create: { r: { deviceClientId: 'rev', url: endpoint.url('/revoked') } } }, BOB)).created.r.id as string;
  await h.bus.publish({ type: 'session-revoked', user: BOB, reason: 'password changed' });
  await waitFor('bob\'s subscription to go', async () => (await h.store.listPushSubscriptions(BOB)).length === 0);
  const [, got] = await pushGet({ ids: [id] }, BOB);
  assert.deepEqual((got as Json).notFound, [id]);
});
