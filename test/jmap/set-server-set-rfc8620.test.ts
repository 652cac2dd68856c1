// RFC 8620 §5.3 over HTTP for every /set type: "Any server-set properties MAY be included in the
// patch if their value is identical to the current server value (before applying the patches to
// the object). Otherwise, the update MUST be rejected with an invalidProperties SetError", the same
// for immutable properties (RFC 8620 §1.1: "The value MUST NOT change after the object is created"),
// and the SetError's properties name every invalid property, value errors included.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, USING, type Call, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';

const ALICE = 'alice@example.com';
const ALL = [...USING, 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];

type Args = Record<string, unknown>;
interface SetErrorJson {
  type: string;
  properties?: string[];
}

let h: Harness;
let ALICE_ID: string;
let inbox: string;
let emailId: string;
let submissionId: string;

async function one(name: string, args: Args): Promise<Args> {
  const [[resName, res]] = (await call(h, [[name, { accountId: ALICE_ID, ...args }, 'c']], ALL)) as Call[] as [[string, Args, string]];
  assert.equal(resName, name, JSON.stringify(res));
  return res;
}

async function getOne(type: string, id: string, properties?: string[]): Promise<Args> {
  const res = await one(`${type}/get`, { ids: [id], ...(properties ? { properties } : {}) });
  return (res.list as Args[])[0]!;
}

function assertInvalid(res: Args, map: 'notCreated' | 'notUpdated', key: string, properties: string[]): void {
  const e = (res[map] as Record<string, SetErrorJson> | null)?.[key];
  assert.ok(e, `${map}.${key} in ${JSON.stringify(res)}`);
  assert.equal(e.type, 'invalidProperties', JSON.stringify(e));
  assert.deepEqual([...(e.properties ?? [])].sort(), [...properties].sort(), JSON.stringify(e));
  assert.equal(res.oldState, res.newState, 'a refused /set changes no state');
}

before(async () => {
  h = await startHarness({ delivery: localDelivery });
  ALICE_ID = await accountIdOf(h);
  await h.store.ensureAccount(ALICE);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  emailId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Fixed', to: 'Bob <bob@example.com>', from: ALICE }), receivedAt: new Date(Date.UTC(2026, 0, 2)) })).emailId;
  const sub = await one('EmailSubmission/set', { create: { s: { identityId: 'default', emailId } } });
  submissionId = (sub.created as Record<string, { id: string }>).s!.id;
});
after(() => h.close());

test('RFC 8620 §5.3 Mailbox/set update: totalEmails, unreadEmails, totalThreads, unreadThreads, id, myRights are server-set; listed with every bad value', async () => {
  const before = await getOne('Mailbox', inbox);
  const res = await one('Mailbox/set', {
    update: { [inbox]: { totalEmails: 99, unreadEmails: 98, totalThreads: 97, unreadThreads: 96, id: 'x', myRights: { ...(before.myRights as Args), mayDelete: true }, sortOrder: -1, name: '' } },
  });
  assertInvalid(res, 'notUpdated', inbox, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'id', 'myRights', 'sortOrder', 'name']);
  assert.deepEqual(await getOne('Mailbox', inbox), before, 'the mailbox is unchanged');
  const same = await one('Mailbox/set', { update: { [inbox]: { totalEmails: before.totalEmails, myRights: before.myRights, id: inbox, sortOrder: 3 } } });
  assert.deepEqual(same.updated, { [inbox]: null }, 'server-set properties with their current value are allowed');
});

test('RFC 8620 §5.3 Mailbox/set create: "The client MUST omit any properties that may only be set by the server", listed with every bad value', async () => {
  const res = await one('Mailbox/set', { create: { m: { id: 'mine', unreadEmails: 0, name: 7, sortOrder: 'first', isSubscribed: 'yes', colour: 'red' } } });
  assertInvalid(res, 'notCreated', 'm', ['id', 'unreadEmails', 'name', 'sortOrder', 'isSubscribed', 'colour']);
  const missing = await one('Mailbox/set', { create: { m: { role: 'nonsense', parentId: 5 } } });
  assertInvalid(missing, 'notCreated', 'm', ['name', 'role', 'parentId']);
});

test('RFC 8620 §5.3 Email/set update: immutable and server-set properties (RFC 8621 §4.1) are refused unless unchanged, and the email stays as it was', async () => {
  const props = ['blobId', 'threadId', 'size', 'receivedAt', 'subject', 'from', 'hasAttachment', 'preview', 'keywords'];
  const orig = await getOne('Email', emailId, props);
  const changes: Array<[string, Args]> = [
    ['subject', { subject: 'changed' }],
    ['from', { from: [{ name: 'Changed', email: 'changed@example.com' }] }],
    ['receivedAt', { receivedAt: '2021-01-02T03:04:05Z' }],
    ['blobId', { blobId: 'Gother' }],
    ['threadId', { threadId: 'Tother' }],
    ['size', { size: 1 }],
    ['id', { id: 'Mother' }],
    ['hasAttachment', { hasAttachment: true }],
    ['preview', { preview: 'other' }],
  ];
  for (const [prop, patch] of changes) {
    assertInvalid(await one('Email/set', { update: { [emailId]: { ...patch, 'keywords/$seen': true } } }), 'notUpdated', emailId, [prop]);
  }
  const structure = await one('Email/set', { update: { [emailId]: { bodyStructure: { type: 'text/plain', partId: 'body' }, bodyValues: { body: { value: 'changed' } } } } });
  assertInvalid(structure, 'notUpdated', emailId, ['bodyStructure', 'bodyValues']);
  assert.deepEqual(await getOne('Email', emailId, props), orig, 'the email is unchanged');
  const same = await one('Email/set', {
    update: { [emailId]: { blobId: orig.blobId, threadId: orig.threadId, size: orig.size, receivedAt: orig.receivedAt, subject: orig.subject, 'keywords/$seen': true } },
  });
  assert.deepEqual(same.updated, { [emailId]: null }, JSON.stringify(same));
  const mixed = await one('Email/set', { update: { [emailId]: { size: 2, 'keywords/bad keyword': true } } });
  assertInvalid(mixed, 'notUpdated', emailId, ['size', 'keywords']);
});

test('RFC 8620 §5.3 Identity/set: id and mayDelete server-set, email immutable, listed with every bad value on create and update', async () => {
  const created = await one('Identity/set', { create: { i: { id: 'chosen', mayDelete: false, name: 5, replyTo: 'x', email: ALICE } } });
  assertInvalid(created, 'notCreated', 'i', ['id', 'mayDelete', 'name', 'replyTo']);
  const orig = await getOne('Identity', 'default');
  const updated = await one('Identity/set', { update: { default: { id: 'other', mayDelete: true, email: 'other@example.com', textSignature: 1, name: 'Renamed' } } });
  assertInvalid(updated, 'notUpdated', 'default', ['id', 'mayDelete', 'email', 'textSignature']);
  assert.deepEqual(await getOne('Identity', 'default'), orig, 'a refused update changes nothing, the valid name included');
});

test('RFC 8620 §5.3 EmailSubmission/set: server-set and immutable properties (RFC 8621 §7) are refused with every missing or bad one', async () => {
  const created = await one('EmailSubmission/set', { create: { s: { sendAt: '2026-01-01T00:00:00Z', deliveryStatus: {}, undoStatus: 'final', envelope: 'x' } } });
  assertInvalid(created, 'notCreated', 's', ['sendAt', 'deliveryStatus', 'identityId', 'emailId', 'envelope']);
  const unknown = await one('EmailSubmission/set', { create: { s: { identityId: 'nobody', emailId: 'Mnone' } } });
  assertInvalid(unknown, 'notCreated', 's', ['identityId', 'emailId']);
  const orig = await getOne('EmailSubmission', submissionId);
  const updated = await one('EmailSubmission/set', {
    update: { [submissionId]: { emailId: 'Mother', threadId: 'Tother', envelope: null, dsnBlobIds: ['G1'], undoStatus: 'later' } },
  });
  assertInvalid(updated, 'notUpdated', submissionId, ['emailId', 'threadId', 'envelope', 'dsnBlobIds', 'undoStatus']);
  const same = await one('EmailSubmission/set', { update: { [submissionId]: { emailId: orig.emailId, identityId: orig.identityId, envelope: orig.envelope, undoStatus: 'final' } } });
  assert.deepEqual(same.updated, { [submissionId]: null }, JSON.stringify(same));
});

test('RFC 8620 §5.3 VacationResponse/set: id is server-set, listed with every bad value, and a refused patch changes nothing', async () => {
  const orig = await getOne('VacationResponse', 'singleton');
  const res = await one('VacationResponse/set', { update: { singleton: { id: 'other', isEnabled: 'yes', fromDate: 'soon', subject: 'Away' } } });
  assertInvalid(res, 'notUpdated', 'singleton', ['id', 'isEnabled', 'fromDate']);
  assert.deepEqual(await getOne('VacationResponse', 'singleton'), orig);
});

test('RFC 8620 §5.3: "There MUST NOT be two patches in the PatchObject where the pointer of one is the prefix of the pointer of the other" (invalidPatch)', async () => {
  const res = await one('Email/set', { update: { [emailId]: { keywords: { $flagged: true }, 'keywords/$seen': true } } });
  const e = (res.notUpdated as Record<string, SetErrorJson>)[emailId]!;
  assert.equal(e.type, 'invalidPatch', JSON.stringify(e));
  const box = await one('Mailbox/set', { update: { [inbox]: { myRights: {}, 'myRights/mayDelete': true } } });
  assert.equal((box.notUpdated as Record<string, SetErrorJson>)[inbox]!.type, 'invalidPatch');
  const siblings = await one('Email/set', { update: { [emailId]: { 'keywords/$seen': true, 'keywords/$seen2': true } } });
  assert.deepEqual(siblings.updated, { [emailId]: null }, 'a pointer that merely starts with the same characters is no prefix');
});

test('RFC 8621 §4.8 Email/import: invalid blobId, mailboxIds, keywords and receivedAt are one invalidProperties naming each', async () => {
  const res = await one('Email/import', { emails: { i: { blobId: 7, mailboxIds: {}, keywords: { 'a b': true }, receivedAt: 'never', threadId: 'T1' } } });
  const e = (res.notCreated as Record<string, SetErrorJson>).i!;
  assert.equal(e.type, 'invalidProperties', JSON.stringify(e));
  assert.deepEqual([...(e.properties ?? [])].sort(), ['blobId', 'keywords', 'mailboxIds', 'receivedAt', 'threadId']);
});
