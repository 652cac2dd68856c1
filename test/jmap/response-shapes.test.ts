// Every method the dispatcher registers answers a normal call with every standard response argument
// of RFC 8620 §5.1–5.6 and §6.3, RFC 8621 (and RFC 9404 for Blob, RFC 9425 for Quota), each of the type the RFC gives it,
// `null` where the RFC says "null if none", and nothing else. The table is written from the RFCs and
// is keyed by method name; the first test enumerates the server's own registry, so a method added
// without a row here (or a row for a method the server dropped) fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, type Call, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { PushEndpoint } from '../support/push-endpoint.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

// ---- Types of RFC 8620 §1 as checks: each returns the problems found at `path` (none = ok) ----

type Check = (v: unknown, path: string) => string[];
const fail = (path: string, what: string, v: unknown): string[] => [`${path}: expected ${what}, got ${JSON.stringify(v)?.slice(0, 60)}`];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 8620 §1.2: 1–255 octets of the URL-safe base64 alphabet. */
const Id: Check = (v, p) => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(v) ? [] : fail(p, 'Id', v));
const Str: Check = (v, p) => (typeof v === 'string' ? [] : fail(p, 'String', v));
const Bool: Check = (v, p) => (typeof v === 'boolean' ? [] : fail(p, 'Boolean', v));
const UInt: Check = (v, p) => (Number.isSafeInteger(v) && (v as number) >= 0 ? [] : fail(p, 'UnsignedInt', v));
const Null: Check = (v, p) => (v === null ? [] : fail(p, 'null (empty)', v));
const nullable = (c: Check): Check => (v, p) => (v === null ? [] : c(v, p));
/** Non-empty where the call was made to have entries: `T|null` that must not be null here. */
const present = (c: Check): Check => (v, p) => (v === null ? fail(p, 'a non-null value', v) : c(v, p));
const list = (c: Check): Check => (v, p) => (Array.isArray(v) ? v.flatMap((x, i) => c(x, `${p}[${i}]`)) : fail(p, 'a list', v));
/** A list the call was made to fill, so that its items are checked at all. */
const filledList = (c: Check): Check => (v, p) => (Array.isArray(v) && v.length === 0 ? fail(p, 'a non-empty list', v) : list(c)(v, p));
/** Id[T]: a map from ids to T. */
const idMap = (c: Check): Check => (v, p) =>
  isObject(v) ? Object.entries(v).flatMap(([k, x]) => [...Id(k, `${p} key`), ...c(x, `${p}.${k}`)]) : fail(p, 'an Id[…] map', v);
/** An object with (at least, or exactly) these members. */
const shape = (members: Record<string, Check>, exact: boolean): Check => (v, p) => {
  if (!isObject(v)) return fail(p, 'an object', v);
  const out = Object.entries(members).flatMap(([k, c]) => (k in v ? c(v[k], `${p}.${k}`) : [`${p}.${k}: missing`]));
  if (exact) for (const k of Object.keys(v)) if (!(k in members)) out.push(`${p}.${k}: not a standard argument`);
  return out;
};
const AnyObject: Check = (v, p) => (isObject(v) ? [] : fail(p, 'an object', v));
/** A record with an id (a Foo of /get, or the server-set part of a created Foo). */
const Record_ = shape({ id: Id }, false);
/** RFC 8620 §5.3 SetError: a type, and description String|null when present. */
const SetError: Check = (v, p) => [...shape({ type: Str }, false)(v, p), ...(isObject(v) && 'description' in v ? nullable(Str)(v.description, `${p}.description`) : [])];
/** RFC 8620 §5.6 AddedItem. */
const AddedItem = shape({ id: Id, index: UInt }, true);
/** RFC 8621 §5 SearchSnippet. */
const Snippet = shape({ emailId: Id, subject: nullable(Str), preview: nullable(Str) }, true);

// ---- Standard responses ----

const GET = (item: Check = Record_): Check => shape({ accountId: Id, state: Str, list: list(item), notFound: list(Id) }, true);
const CHANGES_MEMBERS = { accountId: Id, oldState: Str, newState: Str, hasMoreChanges: Bool, created: list(Id), updated: list(Id), destroyed: list(Id) };
const CHANGES = shape(CHANGES_MEMBERS, true);
/** The six outcome members of a /set; `filled`: the call was made so that every one has an entry. */
const SET_OUTCOMES = (filled: boolean): Record<string, Check> => {
  const v = (c: Check): Check => (filled ? present(c) : Null);
  return {
    created: v(idMap(Record_)), updated: v(idMap(nullable(AnyObject))), destroyed: v(list(Id)),
    notCreated: v(idMap(SetError)), notUpdated: v(idMap(SetError)), notDestroyed: v(idMap(SetError)),
  };
};
const SET = (filled: boolean): Check => shape({ accountId: Id, oldState: nullable(Str), newState: Str, ...SET_OUTCOMES(filled) }, true);
/**
 * `total` only when calculateTotal was true; `limit` only when the server clamped the client's (it
 * has a maximum, so a call without a limit is clamped to it).
 */
const QUERY = (withTotal: boolean, clamped: boolean): Check =>
  shape({
    accountId: Id, queryState: Str, canCalculateChanges: Bool, position: UInt, ids: list(Id),
    ...(withTotal ? { total: UInt } : {}), ...(clamped ? { limit: UInt } : {}),
  }, true);
const QUERY_CHANGES = (withTotal: boolean): Check =>
  shape({ accountId: Id, oldQueryState: Str, newQueryState: Str, removed: list(Id), added: list(AddedItem), ...(withTotal ? { total: UInt } : {}) }, true);

// ---- The table ----

interface Fixture {
  accountId: string;
  inbox: string;
  /** States before the fixture's emails and mailboxes were made, so /changes have something to say. */
  before: Record<string, string>;
}
type Args = Record<string, unknown>;
interface Case {
  label: string;
  args: (fx: Fixture) => Args | Promise<Args>;
  /** The responses in order: [name, check]. */
  expect: Array<[string, Check]>;
}
/** `accountless`: the method takes no accountId (RFC 8620 §7.2 PushSubscription). */
type Row = ({ cases: Case[] } | { error: string; args: (fx: Fixture) => Args | Promise<Args>; why: string }) & { accountless?: true };

let h: Harness;
let using: string[];
let fx: Fixture;
/** Where PushSubscription rows point their subscriptions (a push service on loopback). */
let push: PushEndpoint;

/** Runs one call (with Alice's accountId unless `accountless`) and returns its response invocations. */
async function run(name: string, args: Args, accountless = false): Promise<Call[]> {
  return call(h, [[name, accountless ? args : { accountId: fx.accountId, ...args }, 'c']], using);
}
async function one(name: string, args: Args, accountless = false): Promise<Record<string, any>> {
  const [[rname, body]] = (await run(name, args, accountless)) as [string, Record<string, any>, string][];
  assert.equal(rname, name, JSON.stringify(body));
  return body;
}
const stateOf = async (type: string): Promise<string> => (await one(`${type}/get`, { ids: [] })).state as string;
const queryStateOf = async (type: string, extra: Args = {}): Promise<string> => (await one(`${type}/query`, extra)).queryState as string;
async function upload(bytes: Buffer | string): Promise<string> {
  const res = await fetch(`${h.url}/upload/${fx.accountId}`, { method: 'POST', headers: { Authorization: h.basic(ALICE) }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}
async function appendEmail(subject: string, from = 'Bob <bob@example.com>', to = 'Alice <alice@example.com>'): Promise<{ emailId: string; threadId: string }> {
  return h.store.append(ALICE, { mailboxIds: [fx.inbox], bytes: message({ subject, from, to }) });
}
async function newMailbox(name: string): Promise<string> {
  return (await one('Mailbox/set', { create: { m: { name } } })).created.m.id as string;
}

/** /get with all ids, and with a found and a missing id. */
const getCases = (item: Check, someId: (fx: Fixture) => Promise<string> | string): Case[] => [
  { label: 'ids null', args: () => ({ ids: null }), expect: [['', GET(item)]] },
  { label: 'one found, one not', args: async (f) => ({ ids: [await someId(f), 'nosuchid'] }), expect: [['', GET(item)]] },
];
/** /changes from the state before the fixture, or from the current one for types without a log. */
const changesCases = (type: string, members: Record<string, Check> = CHANGES_MEMBERS): Case[] => [
  { label: 'since a known state', args: async (f) => ({ sinceState: f.before[type] ?? (await stateOf(type)), maxChanges: 50 }), expect: [['', shape(members, true)]] },
];
type Extra = (fx: Fixture) => Args;
const queryCases = (extra: Extra = () => ({})): Case[] => [
  { label: 'no total asked, no limit given', args: (f) => ({ ...extra(f) }), expect: [['', QUERY(false, true)]] },
  { label: 'calculateTotal, a small limit', args: (f) => ({ ...extra(f), calculateTotal: true, position: 0, limit: 5 }), expect: [['', QUERY(true, false)]] },
  { label: 'a limit above the server\'s maximum', args: (f) => ({ ...extra(f), limit: 2 ** 40 }), expect: [['', QUERY(false, true)]] },
];
const queryChangesCases = (type: string, extra: Extra = () => ({})): Case[] => [
  { label: 'since the current query state', args: async (f) => ({ ...extra(f), sinceQueryState: await queryStateOf(type, extra(f)) }), expect: [['', QUERY_CHANGES(false)]] },
  { label: 'calculateTotal', args: async (f) => ({ ...extra(f), sinceQueryState: await queryStateOf(type, extra(f)), calculateTotal: true }), expect: [['', QUERY_CHANGES(true)]] },
];
/** A /set that creates, updates and destroys (each once well, once refused), and an empty one. */
const setCases = (filled: (fx: Fixture) => Promise<Args>, extra: Array<[string, Check]> = []): Case[] => [
  { label: 'every kind of outcome', args: filled, expect: [['', SET(true)], ...extra] },
  { label: 'nothing asked: all six null', args: () => ({}), expect: [['', SET(false)]] },
];

const MAILBOX = shape({ id: Id, name: Str, parentId: nullable(Id), role: nullable(Str), sortOrder: UInt, totalEmails: UInt, unreadEmails: UInt, totalThreads: UInt, unreadThreads: UInt, myRights: AnyObject, isSubscribed: Bool }, true);
const THREAD = shape({ id: Id, emailIds: list(Id) }, true);
/** RFC 9670 §5: every property of a ShareNotification. */
const SHARE_NOTIFICATION = shape({ id: Id, created: Str, changedBy: AnyObject, objectType: Str, objectAccountId: Id, objectId: Id, oldRights: nullable(AnyObject), newRights: nullable(AnyObject), name: Str }, true);
/** Bob shares a new mailbox of his with Alice: her newest share notification's id. */
async function bobShares(path: string): Promise<string> {
  const box = await h.store.createMailbox(BOB, { path });
  await h.store.setRights(BOB, box.id, ALICE, 'lr');
  return (await one('ShareNotification/query', { sort: [{ property: 'created', isAscending: false }] })).ids[0] as string;
}
/** RFC 9670 §3: every property of a Principal. */
const PRINCIPAL = shape({ id: Id, type: Str, name: Str, description: nullable(Str), email: nullable(Str), timeZone: nullable(Str), capabilities: AnyObject, accounts: nullable(AnyObject) }, true);
const IDENTITY = shape({ id: Id, name: Str, email: Str, replyTo: nullable(list(AnyObject)), bcc: nullable(list(AnyObject)), textSignature: Str, htmlSignature: Str, mayDelete: Bool }, true);
const SIEVE_SCRIPT = shape({ id: Id, name: Str, blobId: Id, isActive: Bool }, true);
const APP_PASSWORD = shape({ id: Id, name: Str, scopes: list(Str), createdAt: Str, expiresAt: nullable(Str), lastUsedAt: nullable(Str), lastUsedIp: nullable(Str) }, true);
const VACATION = shape({ id: Id, isEnabled: Bool, fromDate: nullable(Str), toDate: nullable(Str), subject: nullable(Str), textBody: nullable(Str), htmlBody: nullable(Str) }, true);
const IMPORT = (filled: boolean): Check =>
  shape({ accountId: Id, oldState: nullable(Str), newState: Str, created: filled ? present(idMap(Record_)) : Null, notCreated: filled ? present(idMap(SetError)) : Null }, true);
/** RFC 8620 §5.4: the Foo/copy response. */
const COPY = (filled: boolean): Check =>
  shape({ fromAccountId: Id, accountId: Id, oldState: nullable(Str), newState: Str, created: filled ? present(idMap(Record_)) : Null, notCreated: filled ? present(idMap(SetError)) : Null }, true);
const PARSE = (filled: boolean): Check =>
  shape({ accountId: Id, parsed: filled ? present(idMap(AnyObject)) : Null, notParsable: filled ? present(list(Id)) : Null, notFound: filled ? present(list(Id)) : Null }, true);

/** RFC 9404 §4.1: what the server sets on a created blob (the client sent data and maybe type). */
const BLOB_OBJECT = shape({ id: Id, type: Str, size: UInt }, true);
/** RFC 9404 §4.2: Blob/get answers accountId, list and notFound (blobs have no state). */
const BLOB_GET = (item: Check, someNotFound: boolean): Check =>
  shape({ accountId: Id, list: filledList(item), notFound: someNotFound ? filledList(Id) : list(Id) }, true);

const someEmail = async (): Promise<string> => (await appendEmail('a row of its own')).emailId;

/** RFC 8620 §7.2.1: url and keys are never returned, so a PushSubscription has exactly these. */
const PUSH_SUBSCRIPTION = shape({ id: Id, deviceClientId: Str, verificationCode: nullable(Str), expires: nullable(Str), types: nullable(list(Str)) }, true);
/** A new subscription of Alice's whose pushes go to the local endpoint; returns its id. */
async function pushSubscription(device: string): Promise<string> {
  const body = await one('PushSubscription/set', { create: { p: { deviceClientId: device, url: push.url(`/${device}`) } } }, true);
  assert.ok(body.created?.p?.id, JSON.stringify(body));
  return body.created.p.id as string;
}

const ROWS: Record<string, Row> = {
  'Core/echo': { cases: [{ label: 'echoes', args: () => ({ hello: true, high: 5 }), expect: [['', (v, p) => (JSON.stringify(v) === JSON.stringify({ accountId: fx.accountId, hello: true, high: 5 }) ? [] : fail(p, 'the arguments', v))]] }] },
  'Mailbox/get': { cases: getCases(MAILBOX, (f) => f.inbox) },
  'Mailbox/changes': { cases: changesCases('Mailbox', { ...CHANGES_MEMBERS, updatedProperties: nullable(list(Str)) }) },
  'Mailbox/query': { cases: queryCases(() => ({ sortAsTree: true })) },
  'Mailbox/queryChanges': { cases: queryChangesCases('Mailbox') },
  'Mailbox/set': {
    cases: setCases(async () => ({
      create: { ok: { name: 'Shapes new' }, bad: { name: '' } },
      update: { [await newMailbox('Shapes renamed')]: { name: 'Shapes renamed 2' }, nosuchid: { name: 'x' } },
      destroy: [await newMailbox('Shapes doomed'), 'nosuchid'],
    })),
  },
  'Thread/get': { cases: getCases(THREAD, async () => (await appendEmail('thread row')).threadId) },
  'Thread/changes': { cases: changesCases('Thread') },
  'Email/get': { cases: getCases(Record_, someEmail) },
  'Email/changes': { cases: changesCases('Email') },
  'Email/query': { cases: queryCases((f) => ({ filter: { inMailbox: f.inbox }, sort: [{ property: 'receivedAt', isAscending: false }] })) },
  'Email/queryChanges': { cases: queryChangesCases('Email', (f) => ({ filter: { inMailbox: f.inbox }, sort: [{ property: 'receivedAt', isAscending: false }] })) },
  'Email/set': {
    cases: setCases(async (f) => ({
      create: {
        ok: { mailboxIds: { [f.inbox]: true }, subject: 'created', textBody: [{ partId: '1', type: 'text/plain' }], bodyValues: { '1': { value: 'hi' } } },
        bad: { subject: 'no mailbox' },
      },
      update: { [await someEmail()]: { 'keywords/$seen': true }, nosuchid: { 'keywords/$seen': true } },
      destroy: [await someEmail(), 'nosuchid'],
    })),
  },
  // RFC 8620 §5.4: from Bob's account, which shares a mailbox with Alice, into hers.
  'Email/copy': {
    cases: [
      {
        label: 'one copied, one not',
        args: async (f) => {
          const box = await h.store.createMailbox(BOB, { path: 'Copy row' });
          await h.store.setRights(BOB, box.id, ALICE, 'lr');
          const source = await h.store.append(BOB, { mailboxIds: [box.id], bytes: message({ subject: 'copied row' }) });
          const k = (id: string): Record<string, unknown> => ({ id, mailboxIds: { [f.inbox]: true } });
          return { fromAccountId: await accountIdOf(h, BOB), create: { ok: k(source.emailId), bad: k('nosuchid') } };
        },
        expect: [['', COPY(true)]],
      },
      { label: 'nothing asked: both null', args: async () => ({ fromAccountId: await accountIdOf(h, BOB), create: {} }), expect: [['', COPY(false)]] },
    ],
  },
  'Email/import': {
    cases: [
      {
        label: 'one imported, one refused',
        args: async (f) => ({ emails: { ok: { blobId: await upload(message({ subject: 'imported' })), mailboxIds: { [f.inbox]: true } }, bad: { blobId: 'nosuchblob', mailboxIds: { [f.inbox]: true } } } }),
        expect: [['', IMPORT(true)]],
      },
      { label: 'nothing asked: both null', args: () => ({ emails: {} }), expect: [['', IMPORT(false)]] },
    ],
  },
  'Email/parse': {
    cases: [
      {
        label: 'parsed, not parsable, not found',
        args: async () => ({ blobIds: [await upload(message({ subject: 'parse me' })), await upload(Buffer.from([0, 1, 2, 3, 0xff])), 'nosuchblob'] }),
        expect: [['', PARSE(true)]],
      },
      { label: 'no blobs: all null', args: () => ({ blobIds: [] }), expect: [['', PARSE(false)]] },
    ],
  },
  'SearchSnippet/get': {
    cases: [
      { label: 'one found, one not', args: async () => ({ filter: { text: 'row' }, emailIds: [await someEmail(), 'nosuchid'] }), expect: [['', shape({ accountId: Id, list: list(Snippet), notFound: present(list(Id)) }, true)]] },
      { label: 'all found: notFound null', args: async () => ({ filter: { text: 'row' }, emailIds: [await someEmail()] }), expect: [['', shape({ accountId: Id, list: list(Snippet), notFound: Null }, true)]] },
    ],
  },
  'Identity/get': { cases: getCases(IDENTITY, () => 'default') },
  'Identity/changes': { cases: changesCases('Identity') },
  'Identity/set': {
    cases: setCases(async () => ({
      create: { ok: { email: ALICE, name: 'Shapes' }, bad: { email: 'mallory@example.org' } },
      update: { default: { name: 'Alice' }, nosuchid: { name: 'x' } },
      destroy: [(await one('Identity/set', { create: { d: { email: ALICE } } })).created.d.id, 'nosuchid'],
    })),
  },
  'EmailSubmission/get': { cases: getCases(Record_, async () => (await submitted()).submissionId) },
  'EmailSubmission/changes': { cases: changesCases('EmailSubmission') },
  'EmailSubmission/query': { cases: queryCases() },
  'EmailSubmission/queryChanges': { cases: queryChangesCases('EmailSubmission') },
  'EmailSubmission/set': {
    // onSuccessUpdateEmail runs an implicit Email/set after it (RFC 8621 §7.5), itself a whole /set response.
    cases: setCases(
      async () => {
        const { emailId } = await appendEmail('to send', 'Alice <alice@example.com>', 'Bob <bob@example.com>');
        return {
          create: { ok: { identityId: 'default', emailId }, bad: { identityId: 'default' } },
          update: { [(await submitted()).submissionId]: { undoStatus: 'final' }, nosuchid: { undoStatus: 'final' } },
          destroy: [(await submitted()).submissionId, 'nosuchid'],
          onSuccessUpdateEmail: { '#ok': { 'keywords/$seen': true } },
        };
      },
      [['Email/set', shape({ ...shapeMembersOfSet(), updated: present(idMap(nullable(AnyObject))) }, true)]],
    ),
  },
  'VacationResponse/get': { cases: getCases(VACATION, () => 'singleton') },
  'VacationResponse/set': {
    // The singleton can neither be created nor destroyed, so created and destroyed stay null.
    cases: [
      {
        label: 'update the singleton; create and destroy refused',
        args: () => ({ create: { x: { isEnabled: true } }, update: { singleton: { isEnabled: false }, nosuchid: { isEnabled: false } }, destroy: ['singleton'] }),
        expect: [['', shape({ ...shapeMembersOfSet(), created: Null, updated: present(idMap(nullable(AnyObject))), destroyed: Null, notCreated: present(idMap(SetError)), notUpdated: present(idMap(SetError)), notDestroyed: present(idMap(SetError)) }, true)]],
      },
      { label: 'nothing asked: all six null', args: () => ({}), expect: [['', SET(false)]] },
    ],
  },
  // RFC 8620 §7.2: subscriptions belong to the credentials, not an account: no accountId in or out,
  // no state from /get, no oldState/newState from /set.
  'PushSubscription/get': {
    accountless: true,
    cases: [
      // Made first, so that the list has an item to check.
      { label: 'ids null', args: async () => (await pushSubscription('get-all'), { ids: null }), expect: [['', shape({ list: filledList(PUSH_SUBSCRIPTION), notFound: list(Id) }, true)]] },
      { label: 'one found, one not', args: async () => ({ ids: [await pushSubscription('get-row'), 'nosuchid'] }), expect: [['', shape({ list: filledList(PUSH_SUBSCRIPTION), notFound: filledList(Id) }, true)]] },
    ],
  },
  'PushSubscription/set': {
    accountless: true,
    cases: [
      {
        label: 'every kind of outcome',
        args: async () => ({
          create: { ok: { deviceClientId: 'set-row-new', url: push.url('/set-row-new') }, bad: { deviceClientId: 'set-row-bad' } },
          update: { [await pushSubscription('set-row-updated')]: { types: ['Email'] }, nosuchid: { types: null } },
          destroy: [await pushSubscription('set-row-doomed'), 'nosuchid'],
        }),
        expect: [['', shape(SET_OUTCOMES(true), true)]],
      },
      { label: 'nothing asked: all six null', args: () => ({}), expect: [['', shape(SET_OUTCOMES(false), true)]] },
    ],
  },
  // RFC 8620 §6.3, within the caller's own account, where the server answers every readable blob as
  // copied under its own id.
  'Blob/copy': {
    cases: [
      {
        label: 'one copied, one not',
        args: async (f) => ({ fromAccountId: f.accountId, blobIds: [await upload('copy me'), 'nosuchblob'] }),
        expect: [['', shape({ fromAccountId: Id, accountId: Id, copied: present(idMap(Id)), notCopied: present(idMap(SetError)) }, true)]],
      },
      { label: 'no blobs: both null', args: (f) => ({ fromAccountId: f.accountId, blobIds: [] }), expect: [['', shape({ fromAccountId: Id, accountId: Id, copied: Null, notCopied: Null }, true)]] },
    ],
  },
  // RFC 9404 §4.1: create only, and blobs have no state, so no oldState/newState.
  'Blob/upload': {
    cases: [
      {
        label: 'one created, one refused',
        args: () => ({ create: { ok: { data: [{ 'data:asText': 'uploaded' }] }, bad: { data: [{ blobId: 'nosuchblob' }] } } }),
        expect: [['', shape({ accountId: Id, created: present(idMap(BLOB_OBJECT)), notCreated: present(idMap(SetError)) }, true)]],
      },
      { label: 'nothing asked: both null', args: () => ({ create: {} }), expect: [['', shape({ accountId: Id, created: Null, notCreated: Null }, true)]] },
    ],
  },
  // RFC 9404 §4.2: a /get without state; each item has its id and exactly the properties asked for,
  // plus isEncodingProblem / isTruncated when they apply.
  'Blob/get': {
    cases: [
      {
        label: 'every property but data, one found, one not',
        args: async () => ({ ids: [await upload('get me'), 'nosuchblob'], properties: ['data:asBase64', 'digest:sha', 'digest:sha-256', 'size'] }),
        expect: [['', BLOB_GET(shape({ id: Id, 'data:asBase64': Str, 'digest:sha': Str, 'digest:sha-256': Str, size: UInt }, true), true)]],
      },
      { label: 'default properties: data (as text) and size', args: async () => ({ ids: [await upload('default')] }), expect: [['', BLOB_GET(shape({ id: Id, 'data:asText': Str, size: UInt }, true), false)]] },
      {
        label: 'data of octets that are not UTF-8, a range past the end',
        args: async () => ({ ids: [await upload(Buffer.from([0x41, 0xff]))], properties: ['data', 'size'], offset: 1, length: 5 }),
        expect: [['', BLOB_GET(shape({ id: Id, 'data:asBase64': Str, size: UInt, isEncodingProblem: Bool, isTruncated: Bool }, true), false)]],
      },
    ],
  },
  // RFC 9404 §4.3: matchedIds has a list for exactly each type name asked for (empty for the
  // unreferenced blob, filled for the message).
  'Blob/lookup': {
    cases: [
      {
        label: 'a message blob, an unreferenced blob, a missing one',
        args: async () => ({
          typeNames: ['Mailbox', 'Thread', 'Email'],
          ids: [(await h.store.getEmails(ALICE, [await someEmail()]))[0]!.blobId, await upload('nobody points here'), 'nosuchblob'],
        }),
        expect: [['', shape({
          accountId: Id,
          list: filledList(shape({ id: Id, matchedIds: shape({ Mailbox: list(Id), Thread: list(Id), Email: list(Id) }, true) }, true)),
          notFound: filledList(Id),
        }, true)]],
      },
    ],
  },
  'AppPassword/get': { cases: getCases(APP_PASSWORD, async () => (await one('AppPassword/set', { create: { a: { name: 'shapes' } } })).created.a.id as string) },
  'AppPassword/set': {
    cases: setCases(async () => ({
      create: { ok: { name: 'Shapes', scopes: ['imap'] }, bad: { name: 'x', scopes: ['gopher'] } },
      update: { [(await one('AppPassword/set', { create: { u: { name: 'upd' } } })).created.u.id as string]: { name: 'renamed' }, nosuchid: { name: 'x' } },
      destroy: [(await one('AppPassword/set', { create: { d: { name: 'gone' } } })).created.d.id as string, 'nosuchid'],
    })),
  },
  'Quota/get': { cases: getCases(shape({ id: Id, resourceType: Str, used: UInt, hardLimit: UInt, scope: Str, name: Str, types: list(Str) }, false), () => 'storage') },
  // RFC 9425 §4.2: a standard /changes plus updatedProperties; since the state the fixture took after
  // setting the limits only usage has changed, so it lists "used".
  'Quota/changes': { cases: changesCases('Quota', { ...CHANGES_MEMBERS, updated: filledList(Id), updatedProperties: present(list(Str)) }) },
  'Quota/query': { cases: queryCases() },
  'Quota/queryChanges': { cases: queryChangesCases('Quota') },
  // RFC 9670 §3: the users as principals; no change log, so /changes and /queryChanges from the current state.
  'Principal/get': { cases: getCases(PRINCIPAL, (f) => f.accountId) },
  'Principal/changes': { cases: changesCases('Principal') },
  'Principal/query': { cases: queryCases(() => ({ filter: { text: 'example' } })) },
  'Principal/queryChanges': { cases: queryChangesCases('Principal') },
  // RFC 9670 §5: alice's notifications of rights Bob granted her (fixture); /set destroys only.
  'ShareNotification/get': { cases: getCases(SHARE_NOTIFICATION, async () => (await one('ShareNotification/query', {})).ids[0] as string) },
  'ShareNotification/changes': { cases: changesCases('ShareNotification') },
  'ShareNotification/query': { cases: queryCases(() => ({ sort: [{ property: 'created', isAscending: false }] })) },
  'ShareNotification/queryChanges': { cases: queryChangesCases('ShareNotification') },
  // Created by the server and immutable: a create or update is always refused, only destroy succeeds.
  'ShareNotification/set': {
    cases: [
      {
        label: 'refused create and update, one destroyed, one not found',
        args: async () => ({ create: { bad: { name: 'made up' } }, update: { [await bobShares('Shapes update')]: { name: 'x' } }, destroy: [await bobShares('Shapes destroy'), 'nosuchid'] }),
        expect: [['', shape({ ...shapeMembersOfSet(), created: Null, updated: Null, destroyed: filledList(Id), notCreated: present(idMap(SetError)), notUpdated: present(idMap(SetError)), notDestroyed: present(idMap(SetError)) }, true)]],
      },
      { label: 'nothing asked: all six null', args: () => ({}), expect: [['', SET(false)]] },
    ],
  },
  // RFC 9661 §2.3–2.6: SieveScript is a standard type; /validate answers an error (SetError or null).
  'SieveScript/get': { cases: getCases(SIEVE_SCRIPT, () => newScript('shapes get')) },
  'SieveScript/changes': { cases: changesCases('SieveScript', { ...CHANGES_MEMBERS, created: filledList(Id) }) },
  'SieveScript/set': {
    cases: setCases(async () => ({
      create: { ok: { name: 'shapes ok', blobId: await upload('keep;\r\n') }, bad: { name: 'shapes bad', blobId: await upload('no such command;') } },
      update: { [await newScript('shapes update')]: { name: 'shapes renamed' }, nosuchid: { name: 'x' } },
      destroy: [await newScript('shapes destroy'), 'nosuchid'],
    })),
  },
  'SieveScript/query': { cases: queryCases() },
  'SieveScript/validate': {
    cases: [
      { label: 'a valid script: error null', args: async () => ({ blobId: await upload('keep;') }), expect: [['', shape({ accountId: Id, error: Null }, true)]] },
      { label: 'an invalid script: a SetError', args: async () => ({ blobId: await upload('if {') }), expect: [['', shape({ accountId: Id, error: SetError }, true)]] },
    ],
  },
};

/** A new Sieve script of Alice's (its id). */
async function newScript(name: string): Promise<string> {
  const body = await one('SieveScript/set', { create: { s: { name, blobId: await upload('keep;\r\n') } } });
  assert.ok(body.created?.s?.id, JSON.stringify(body));
  return body.created.s.id as string;
}

/** The /set members with nullable checks, for rows that tighten some of them. */
function shapeMembersOfSet(): Record<string, Check> {
  return {
    accountId: Id, oldState: nullable(Str), newState: Str,
    created: nullable(idMap(Record_)), updated: nullable(idMap(nullable(AnyObject))), destroyed: nullable(list(Id)),
    notCreated: nullable(idMap(SetError)), notUpdated: nullable(idMap(SetError)), notDestroyed: nullable(idMap(SetError)),
  };
}

/** A fresh submission of a fresh email from Alice to Bob. */
async function submitted(): Promise<{ submissionId: string }> {
  const { emailId } = await appendEmail('sent for a row', 'Alice <alice@example.com>', 'Bob <bob@example.com>');
  const body = await one('EmailSubmission/set', { create: { s: { identityId: 'default', emailId } } });
  assert.ok(body.created?.s?.id, JSON.stringify(body));
  return { submissionId: body.created.s.id as string };
}

before(async () => {
  // Loopback push URLs are allowed (webpush.prevent.server.side.request.forgery=false), as in test/jmap/push/.
  h = await startHarness({ delivery: localDelivery, config: { webPush: { allowPrivate: true } } });
  push = new PushEndpoint();
  await push.start();
  await h.store.ensureAccount(ALICE);
  await h.store.ensureAccount(BOB);
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(ALICE) } });
  using = Object.keys(((await res.json()) as { capabilities: Record<string, unknown> }).capabilities);
  fx = { accountId: await accountIdOf(h), inbox: (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id, before: {} };
  for (const type of ['Mailbox', 'Thread', 'Email']) fx.before[type] = await stateOf(type);
  // A storage quota makes Quota/get list an object.
  await h.store.setQuota(ALICE, { storage: 10_000_000, messages: 0 });
  fx.before.Quota = await stateOf('Quota');
  fx.before.SieveScript = await stateOf('SieveScript');
  await newScript('shapes fixture');
  await appendEmail('first row');
  await newMailbox('Shapes fixture');
  fx.before.ShareNotification = await stateOf('ShareNotification');
  await bobShares('Shapes fixture share');
});
after(async () => {
  await h.close();
  await push.close();
});

test('every method the dispatcher registers has a row, and every row is a registered method', () => {
  const registered = h.server.methods().sort();
  assert.deepEqual(registered.filter((m) => !(m in ROWS)), [], 'methods without a row in ROWS');
  assert.deepEqual(Object.keys(ROWS).filter((m) => !registered.includes(m)), [], 'rows for methods the server does not register');
});

for (const [method, row] of Object.entries(ROWS)) {
  if ('error' in row) {
    test(`${method}: answers ${row.error} (${row.why})`, async () => {
      const [[name, body]] = (await run(method, await row.args(fx), row.accountless)) as [string, Record<string, unknown>, string][];
      assert.deepEqual([name, body.type], ['error', row.error], JSON.stringify(body));
    });
    continue;
  }
  for (const c of row.cases) {
    test(`${method} (${c.label}): every standard response argument, typed as the RFC says`, async () => {
      const responses = await run(method, await c.args(fx), row.accountless);
      assert.deepEqual(responses.map((r) => r[0]), c.expect.map(([n]) => n || method), JSON.stringify(responses).slice(0, 400));
      const problems = responses.flatMap((r, i) => c.expect[i]![1](r[1], r[0]));
      assert.deepEqual(problems, [], JSON.stringify(responses).slice(0, 600));
    });
  }
}
