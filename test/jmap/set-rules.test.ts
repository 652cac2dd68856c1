// The rules every Foo/set shares (RFC 8620 §5.3), checked over HTTP for each /set method: empty
// response maps are null, server-set and immutable properties are invalidProperties naming every
// offending one, wrong argument types are invalidArguments, and ifInState is honoured.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, USING, type Call, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';

const ALICE = 'alice@example.com';
const ALL = [...USING, 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];
const SET_KEYS = ['created', 'updated', 'destroyed', 'notCreated', 'notUpdated', 'notDestroyed'];

type Args = Record<string, unknown>;
interface SetErrorJson {
  type: string;
  properties?: string[];
}

let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;
let drafts: string;
let emailId: string;
let submissionId: string;

/** One call as alice with every capability; returns its (first) response. */
async function one(name: string, args: Args): Promise<[string, Args]> {
  const [[resName, res]] = (await call(h, [[name, { accountId: ALICE_ID, ...args }, 'c']], ALL)) as Call[] as [[string, Args, string]];
  return [resName, res];
}

async function uploadBlob(bytes: Buffer): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'message/rfc822' }, body: bytes });
  return ((await res.json()) as { blobId: string }).blobId;
}

function setErrorOf(res: Args, map: string, key: string): SetErrorJson {
  const errors = res[map] as Record<string, SetErrorJson> | null;
  assert.ok(errors?.[key], `${map}.${key} in ${JSON.stringify(res)}`);
  return errors[key]!;
}

function assertInvalidProperties(res: Args, map: string, key: string, properties: string[]): void {
  const e = setErrorOf(res, map, key);
  assert.equal(e.type, 'invalidProperties', JSON.stringify(e));
  assert.deepEqual([...(e.properties ?? [])].sort(), [...properties].sort());
}

before(async () => {
  h = await startHarness({ delivery: localDelivery });
  ALICE_ID = await accountIdOf(h);
  await h.store.ensureAccount(ALICE);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
  emailId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Rules', to: 'Bob <bob@example.com>', from: ALICE }) })).emailId;
  const [, sub] = await one('EmailSubmission/set', { create: { s: { identityId: 'default', emailId } } });
  submissionId = (sub.created as Record<string, { id: string }>).s!.id;
});
after(() => h.close());

const METHODS = ['Mailbox/set', 'Email/set', 'Identity/set', 'EmailSubmission/set', 'VacationResponse/set'];

test('an empty /set answers every result map as null, and the state does not move', async () => {
  for (const name of METHODS) {
    const [resName, res] = await one(name, {});
    assert.equal(resName, name, JSON.stringify(res));
    for (const key of SET_KEYS) assert.equal(res[key], null, `${name} ${key}: ${JSON.stringify(res)}`);
    assert.equal(res.oldState, res.newState, name);
  }
  const [, imported] = await one('Email/import', { emails: {} });
  assert.deepEqual([imported.created, imported.notCreated], [null, null]);
});

test('a /set that only creates answers the other maps as null, and one that only fails answers created as null', async () => {
  const [, made] = await one('Mailbox/set', { create: { m: { name: 'Null maps' } } });
  assert.ok((made.created as Record<string, unknown>).m);
  for (const key of ['updated', 'destroyed', 'notCreated', 'notUpdated', 'notDestroyed']) assert.equal(made[key], null, key);
  assert.notEqual(made.oldState, made.newState);

  const [, failed] = await one('Identity/set', { update: { nope: { name: 'x' } }, destroy: ['gone'] });
  assert.equal(setErrorOf(failed, 'notUpdated', 'nope').type, 'notFound');
  assert.equal(setErrorOf(failed, 'notDestroyed', 'gone').type, 'notFound');
  assert.deepEqual([failed.created, failed.updated, failed.destroyed, failed.notCreated], [null, null, null, null]);

  const [, vacation] = await one('VacationResponse/set', { update: { singleton: { subject: 'Away' } } });
  assert.deepEqual(vacation.updated, { singleton: null });
  assert.deepEqual([vacation.created, vacation.destroyed, vacation.notCreated, vacation.notUpdated, vacation.notDestroyed], [null, null, null, null, null]);

  const blob = await uploadBlob(message({ subject: 'Imported for null maps' }));
  const [, imported] = await one('Email/import', { emails: { i: { blobId: blob, mailboxIds: { [inbox]: true } }, bad: { blobId: 'nope', mailboxIds: { [inbox]: true } } } });
  assert.ok((imported.created as Record<string, unknown>).i);
  assert.equal(setErrorOf(imported, 'notCreated', 'bad').type, 'invalidProperties');
  const [, allFailed] = await one('Email/import', { emails: { bad: { blobId: 'nope', mailboxIds: { [inbox]: true } } } });
  assert.equal(allFailed.created, null);
});

test('Mailbox/set: changing server-set properties is invalidProperties naming each; repeating their values is allowed', async () => {
  const [, r] = await one('Mailbox/set', {
    create: { c: { name: 'Counted', totalEmails: 3, id: 'mine' } },
    update: { [inbox]: { totalEmails: 99, id: 'other', myRights: { mayDelete: true }, sortOrder: 4 } },
  });
  assertInvalidProperties(r, 'notCreated', 'c', ['totalEmails', 'id']);
  assertInvalidProperties(r, 'notUpdated', inbox, ['totalEmails', 'id', 'myRights']);
  const [, got] = await one('Mailbox/get', { ids: [inbox] });
  const current = (got.list as Args[])[0]!;
  assert.notEqual(current.sortOrder, 4, 'a refused update changes nothing');
  // A client may send back the whole object it fetched, with one real change.
  const [, whole] = await one('Mailbox/set', { update: { [inbox]: { ...current, isSubscribed: true } } });
  assert.deepEqual(whole.updated, { [inbox]: null }, JSON.stringify(whole));
  const [, ptr] = await one('Mailbox/set', { update: { [inbox]: { 'myRights/mayDelete': true } } });
  assertInvalidProperties(ptr, 'notUpdated', inbox, ['myRights']);
  const [, unknown] = await one('Mailbox/set', { create: { u: { name: 'Odd', colour: 'red', unreadThreads: 1 } } });
  assertInvalidProperties(unknown, 'notCreated', 'u', ['colour', 'unreadThreads']);
});

test('Email/set: immutable and server-set properties cannot change after creation, nor be given on create', async () => {
  const [, r] = await one('Email/set', {
    create: { e: { mailboxIds: { [drafts]: true }, subject: 'x', id: 'e1', blobId: 'b', size: 5 } },
    update: { [emailId]: { subject: 'Changed', size: 1, receivedAt: '2020-01-01T00:00:00Z', 'keywords/$seen': true } },
  });
  assertInvalidProperties(r, 'notCreated', 'e', ['id', 'blobId', 'size']);
  assertInvalidProperties(r, 'notUpdated', emailId, ['subject', 'size', 'receivedAt']);
  const [meta] = await h.store.getEmails(ALICE, [emailId]);
  assert.ok(!meta!.keywords.includes('$seen'), 'a refused update changes nothing');
  const [, same] = await one('Email/set', { update: { [emailId]: { subject: 'Rules', 'keywords/$flagged': true } } });
  assert.deepEqual(same.updated, { [emailId]: null }, JSON.stringify(same));
  const [, ptr] = await one('Email/set', { update: { [emailId]: { 'from/0/email': 'someone@example.com' } } });
  assertInvalidProperties(ptr, 'notUpdated', emailId, ['from']);
  const [, gone] = await one('Email/set', { update: { missing: { subject: 'x' } } });
  assert.equal(setErrorOf(gone, 'notUpdated', 'missing').type, 'notFound');
});

test('Email/import: properties other than blobId, mailboxIds, keywords and receivedAt are invalidProperties', async () => {
  const blob = await uploadBlob(message({ subject: 'Import rules' }));
  const [, r] = await one('Email/import', { emails: { i: { blobId: blob, mailboxIds: { [inbox]: true }, threadId: 't', id: 'x' } } });
  assertInvalidProperties(r, 'notCreated', 'i', ['threadId', 'id']);
  assert.equal(r.created, null);
});

test('Identity/set: email is immutable and id/mayDelete are server-set', async () => {
  const [, r] = await one('Identity/set', {
    create: { i: { email: ALICE, name: 'Work', id: 'chosen', mayDelete: false } },
    update: { default: { email: 'other@example.com', mayDelete: true, name: 'Renamed' } },
  });
  assertInvalidProperties(r, 'notCreated', 'i', ['id', 'mayDelete']);
  assertInvalidProperties(r, 'notUpdated', 'default', ['email', 'mayDelete']);
  const [, same] = await one('Identity/set', { update: { default: { email: ALICE, mayDelete: false, id: 'default', name: 'Alice' } } });
  assert.deepEqual(same.updated, { default: null }, JSON.stringify(same));
});

test('EmailSubmission/set: what was sent is immutable, only undoStatus may be asked to change', async () => {
  const [, r] = await one('EmailSubmission/set', {
    create: { s: { identityId: 'default', emailId, deliveryStatus: {}, sendAt: '2026-01-01T00:00:00Z' } },
    update: { [submissionId]: { emailId: 'other', sendAt: '2020-01-01T00:00:00Z', identityId: 'default' } },
  });
  assertInvalidProperties(r, 'notCreated', 's', ['deliveryStatus', 'sendAt']);
  assertInvalidProperties(r, 'notUpdated', submissionId, ['emailId', 'sendAt']);
  const [, cancel] = await one('EmailSubmission/set', { update: { [submissionId]: { undoStatus: 'canceled' } } });
  assert.equal(setErrorOf(cancel, 'notUpdated', submissionId).type, 'cannotUnsend');
});

test('VacationResponse/set: id is server-set, and the singleton is neither created nor destroyed', async () => {
  const [, r] = await one('VacationResponse/set', {
    create: { v: { isEnabled: true } },
    update: { singleton: { id: 'other', isEnabled: true } },
    destroy: ['singleton'],
  });
  assert.equal(setErrorOf(r, 'notCreated', 'v').type, 'singleton');
  assertInvalidProperties(r, 'notUpdated', 'singleton', ['id']);
  assert.equal(setErrorOf(r, 'notDestroyed', 'singleton').type, 'singleton');
  const [, same] = await one('VacationResponse/set', { update: { singleton: { id: 'singleton', isEnabled: false } } });
  assert.deepEqual(same.updated, { singleton: null });
});

test('wrong argument types are invalidArguments for every /set, and nothing is written', async () => {
  const bad: Args[] = [{ destroy: 'x' }, { destroy: [1] }, { create: [] }, { create: 'x' }, { update: [] }, { update: 5 }, { ifInState: 7 }, { accountId: 1 }];
  for (const name of METHODS) {
    for (const args of bad) {
      const [resName, res] = await one(name, args);
      assert.deepEqual([resName, res.type], ['error', 'invalidArguments'], `${name} ${JSON.stringify(args)}: ${JSON.stringify(res)}`);
    }
    // A good create with a bad destroy is refused as a whole.
    const [resName] = await one(name, { create: { k: { name: 'Half applied' } }, destroy: 'x' });
    assert.equal(resName, 'error', name);
  }
  const [, boxes] = await one('Mailbox/get', {});
  assert.ok(!(boxes.list as Args[]).some((m) => m.name === 'Half applied'));
  for (const args of [{ emails: [] }, { emails: 'x' }, { emails: {}, ifInState: 1 }]) {
    const [resName, res] = await one('Email/import', args);
    assert.deepEqual([resName, res.type], ['error', 'invalidArguments'], JSON.stringify(args));
  }
  const before = (await one('EmailSubmission/get', {}))[1].list as Args[];
  const [subName, sub] = await one('EmailSubmission/set', { create: { s: { identityId: 'default', emailId } }, onSuccessDestroyEmail: 'x' });
  assert.deepEqual([subName, sub.type], ['error', 'invalidArguments']);
  assert.equal(((await one('EmailSubmission/get', {}))[1].list as Args[]).length, before.length, 'nothing was sent');
});

test('ifInState other than the current state is stateMismatch for every /set', async () => {
  for (const name of METHODS) {
    const [resName, res] = await one(name, { ifInState: 'not-the-state', update: {} });
    assert.deepEqual([resName, res.type], ['error', 'stateMismatch'], name);
    const [, current] = await one(name, {});
    const [okName, ok] = await one(name, { ifInState: current.newState });
    assert.equal(okName, name, JSON.stringify(ok));
  }
  const [resName, res] = await one('Email/import', { ifInState: 'not-the-state', emails: {} });
  assert.deepEqual([resName, res.type], ['error', 'stateMismatch']);
});

test('creation ids are recorded for later calls, and destroy takes a result reference', async () => {
  const r = (await call(h, [
    ['Mailbox/set', { accountId: ALICE_ID, create: { parent: { name: 'Parent' }, child: { name: 'Child', parentId: '#parent' } } }, 'a'],
    ['Mailbox/set', { accountId: ALICE_ID, update: { '#child': { name: 'Renamed child' } } }, 'b'],
    ['Mailbox/query', { accountId: ALICE_ID, filter: { name: 'Renamed child' } }, 'q'],
    ['Mailbox/set', { accountId: ALICE_ID, '#destroy': { resultOf: 'q', name: 'Mailbox/query', path: '/ids' } }, 'd'],
  ], ALL)) as Call[];
  const created = r[0]![1].created as Record<string, { id: string }>;
  assert.deepEqual(r[1]![1].updated, { [created.child!.id]: null });
  assert.deepEqual(r[3]![1].destroyed, [created.child!.id], JSON.stringify(r[3]));
});
