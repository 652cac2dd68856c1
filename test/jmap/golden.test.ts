// RFC 8620/8621 example requests (../shared/jmap-examples) as golden tests: each example request
// that applies is run against the server with its ids rebound to real ones, and our responses must
// have the shape of the example responses. Without ../shared the file skips with a notice, except
// under CI=true where it fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { resolveReferences } from '../../src/jmap/core/references.js';
import { toJmapRequest } from '../../src/jmap/core/parse.js';
import { asAddresses, asGroupedAddresses } from '../../src/jmap/mail/header-forms.js';
import { DEFAULT_BODY_PROPERTIES } from '../../src/jmap/mail/body-structure.js';
import { DEFAULT_EMAIL_PROPERTIES } from '../../src/jmap/mail/email-view.js';
import { PARSE_DEFAULTS } from '../../src/jmap/methods/email-parse.js';
import { toSort } from '../../src/jmap/mail/query-filter.js';
import { accountIdOf, call, message, post, startHarness, USING, type Call, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { PushEndpoint, type ReceivedPush } from '../support/push-endpoint.js';
import { decryptWebPush, newReceiver, type ReceiverKeys } from '../support/webpush-decrypt.js';

const FILE = join(fileURLToPath(new URL('../../../shared/jmap-examples/rfc8620-8621-examples.json', import.meta.url)));
const present = existsSync(FILE);
if (!present) {
  if (process.env.CI === 'true') throw new Error(`JMAP examples missing at ${FILE} (required under CI=true)`);
  console.log(`# skipping JMAP golden tests: ${FILE} not found`);
}
type Example = { file: string; json: unknown };
const examples: Example[] = present ? (JSON.parse(readFileSync(FILE, 'utf8')) as Example[]) : [];
const opts = { skip: !present };

/** Indices of the examples some test used (the last test checks every example is used or excused). */
const used = new Set<number>();

/** The first example whose JSON text matches `pred` (examples printed twice in the RFC count as one). */
function example(pred: (text: string, json: any) => boolean): any {
  const found = examples.find((e) => pred(JSON.stringify(e.json), e.json));
  assert.ok(found, 'example not found in the examples file');
  const text = JSON.stringify(found.json);
  examples.forEach((e, i) => JSON.stringify(e.json) === text && used.add(i));
  return structuredClone(found.json);
}

/** Deep-replaces string values (and object keys) found in `map`. */
function rebind(v: any, map: Record<string, string>): any {
  if (typeof v === 'string') return map[v] ?? v;
  if (Array.isArray(v)) return v.map((x) => rebind(x, map));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [map[k] ?? k, rebind(x, map)]));
  return v;
}

/** Same JSON types and keys (recursively for objects, first element for arrays). */
function sameShape(actual: any, expected: any, path = '$'): void {
  if (expected === null || actual === null) return;
  assert.equal(typeof actual, typeof expected, `${path}: type`);
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: array`);
    if (expected.length > 0 && actual.length > 0) sameShape(actual[0], expected[0], `${path}[0]`);
  } else if (typeof expected === 'object') {
    for (const k of Object.keys(expected)) {
      assert.ok(k in actual, `${path}.${k} missing`);
      sameShape(actual[k], expected[k], `${path}.${k}`);
    }
  }
}

const ALICE = 'alice@example.com';
const USING_ALL = [...USING, 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse', 'urn:ietf:params:jmap:quota'];
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;
let emailId: string;
/** The push service the PushSubscription examples' url is rebound to (loopback). */
let endpoint: PushEndpoint;

before(async () => {
  if (!present) return;
  // Loopback push URLs are allowed (webpush.prevent.server.side.request.forgery=false), as in test/jmap/push/.
  h = await startHarness({ delivery: localDelivery, config: { webPush: { allowPrivate: true } } });
  endpoint = new PushEndpoint();
  await endpoint.start();
  ALICE_ID = await accountIdOf(h);
  await h.store.ensureAccount(ALICE);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  const html = [
    'From: Joe Bloggs <joe@example.com>', 'To: alice@example.com', 'Subject: Dinner on Thursday?', 'Date: Sun, 13 Oct 2013 14:12:00 +0000',
    'List-Post: <mailto:partytime@lists.example.com>', 'Message-ID: <dinner@example.com>', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/html; charset=utf-8', '',
    `<html><body><p>Hello ${'x'.repeat(400)}</p></body></html>`, '--b1', 'Content-Type: text/plain; charset=utf-8', 'Content-Disposition: inline', '',
    '-- Sent by your friendly mailing list', '--b1--', '',
  ].join('\r\n');
  emailId = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: Buffer.from(html) })).emailId;
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'second' }) });
});
after(async () => {
  if (!present) return;
  await h.close();
  await endpoint.close();
});

test('RFC 8620 §3.3 request example parses, and unknown methods answer as in the response example', opts, async () => {
  const req = example((t, j) => Array.isArray(j.methodCalls) && t.includes('method1'));
  assert.deepEqual(toJmapRequest(req).methodCalls.length, 3);
  const res = await post(h, req);
  const expected = example((t, j) => Array.isArray(j.methodResponses) && t.includes('method1'));
  const ours = res.body.methodResponses as Call[];
  assert.deepEqual(ours[2], expected.methodResponses[3].slice(0, 1).concat([ours[2]![1], 'c3']));
  assert.equal(ours[2]![1].type, expected.methodResponses[3][1].type);
  assert.equal(typeof res.body.sessionState, typeof expected.sessionState);
  const errorExample = example((_t, j) => Array.isArray(j) && j[0] === 'error');
  sameShape(ours[0], errorExample);
});

test('RFC 8620 §3.6.1 limit problem has the example\'s members', opts, async () => {
  const expected = example((_t, j) => j && j.type === 'urn:ietf:params:jmap:error:limit');
  const res = await post(h, JSON.stringify({ using: USING, methodCalls: [['Core/echo', { pad: 'x'.repeat(1_100_000) }, '0']] }));
  assert.equal(res.body.type, expected.type);
  assert.equal(res.body.limit, expected.limit);
  assert.equal(res.body.status, expected.status);
  sameShape(res.body, expected);
});

test('RFC 8620 §3.7 result reference example resolves to the documented arguments', opts, () => {
  const calls = example((t, j) => Array.isArray(j) && t.includes('"Foo/get"') && t.includes('/created'));
  const responses = example((t, j) => Array.isArray(j) && t.includes('"Foo/changes"') && t.includes('newState'));
  const expected = example((_t, j) => j && j.accountId === 'A1' && Array.isArray(j.ids) && j.ids.join() === 'f1,f4');
  assert.deepEqual(resolveReferences(calls[1][1], responses), expected);
});

test('RFC 8620 §4 Core/echo example', opts, async () => {
  const [req] = [example((t) => t.includes('Core/echo'))];
  assert.deepEqual(await call(h, req), req);
});

test('RFC 8620 §3.7 / RFC 8621 §4.10 query → get → Thread/get → get chains run', opts, async () => {
  for (const pred of [(t: string) => t.includes('id_of_inbox'), (t: string) => t.includes('fb666a55') && t.includes('"Thread/get"')]) {
    const calls = rebind(example((t, j) => Array.isArray(j) && pred(t)), { A1: ALICE_ID, ue150411c: ALICE_ID, id_of_inbox: inbox, fb666a55: inbox });
    const res = await call(h, calls);
    assert.deepEqual(res.map((r) => r[0]), ['Email/query', 'Email/get', 'Thread/get', 'Email/get']);
    assert.equal(res[0]![1].total, 2);
    assert.equal((res[3]![1].list as unknown[]).length, 2);
  }
});

test('RFC 8621 §2 Mailbox/get and Mailbox/changes examples', opts, async () => {
  const get = rebind(example((t) => t.includes('"Mailbox/get"') && t.includes('"ids":null') && !t.includes('list')), { u33084183: ALICE_ID });
  const [[name, body]] = (await call(h, get)) as any;
  assert.equal(name, 'Mailbox/get');
  assert.ok(body.list.length >= 6);
  const { Mailbox: state } = await h.store.getStates(ALICE);
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'third' }) });
  const changes = rebind(example((t, j) => Array.isArray(j) && t.includes('"sinceState":"78540"')), { u33084183: ALICE_ID, '78540': state });
  const res = (await call(h, changes)) as any;
  const expected = example((t, j) => Array.isArray(j) && t.includes('"Mailbox/changes"') && t.includes('"newState"'));
  sameShape(res[0][1], expected[0][1]);
  assert.deepEqual(res[0][1].updated, [inbox]);
  assert.deepEqual(res[2][1].list.map((m: any) => m.id), [inbox]);
  sameShape(res[2][1].list[0], expected[2][1].list[0]);
});

test('RFC 8621 §2.5 Mailbox/set example: rename works, destroying INBOX is forbidden', opts, async () => {
  const [[, created]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: { x: { name: 'Maybe' } } }, '0']])) as any;
  const req = rebind(example((t) => t.includes('"Mailbox/set"') && t.includes('ifInState')), {
    u33084183: ALICE_ID, MB674cc24095db49ce: created.created.x.id, MB23cfa8094c0f41e6: inbox,
  });
  req[0][1].ifInState = (await h.store.getStates(ALICE)).Mailbox;
  const expected = example((t) => t.includes('"Mailbox/set"') && t.includes('notDestroyed'));
  const [[, body]] = (await call(h, req)) as any;
  sameShape(body, rebind(expected[0][1], { MB674cc24095db49ce: created.created.x.id, MB23cfa8094c0f41e6: inbox }));
  assert.equal(body.notDestroyed[inbox].type, expected[0][1].notDestroyed.MB23cfa8094c0f41e6.type);
});

test('RFC 8621 §4.1.2.3 address examples parse exactly', opts, () => {
  const raw = '"James Smythe" <james@example.com>, Friends: jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?= <john@example.com>;';
  assert.deepEqual(asAddresses(raw), example((_t, j) => Array.isArray(j) && j[0]?.email === 'james@example.com'));
  assert.deepEqual(asGroupedAddresses(raw), example((_t, j) => Array.isArray(j) && j[0]?.addresses));
});

test('RFC 8621 §4.1.2.3 address examples are what Email/get answers for that To header', opts, async () => {
  const raw = '"James Smythe" <james@example.com>, Friends: jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?= <john@example.com>;';
  const id = (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ to: raw, subject: 'addresses' }) })).emailId;
  const [[, body]] = (await call(h, [['Email/get', { accountId: ALICE_ID, ids: [id], properties: ['to', 'header:To:asGroupedAddresses'] }, 'g']])) as any;
  assert.deepEqual(body.list[0].to, example((_t, j) => Array.isArray(j) && j[0]?.email === 'james@example.com'));
  assert.deepEqual(body.list[0]['header:To:asGroupedAddresses'], example((_t, j) => Array.isArray(j) && j[0]?.addresses));
});

test('RFC 8621 §4.2 / §4.9 default property lists are what Email/get and Email/parse return', opts, async () => {
  const blob = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE) }, body: message({ subject: 'parse defaults' }) });
  const { blobId } = (await blob.json()) as { blobId: string };
  const [[, got], [, parsed]] = (await call(h, [
    ['Email/get', { accountId: ALICE_ID, ids: [emailId] }, 'g'],
    ['Email/parse', { accountId: ALICE_ID, blobIds: [blobId] }, 'p'],
  ])) as any;
  const sorted = (l: string[]): string[] => [...l].sort();
  const e = got.list[0];
  assert.deepEqual(sorted(Object.keys(e)), sorted(example((_t, j) => Array.isArray(j) && j[0] === 'id' && j.includes('attachments'))));
  assert.deepEqual(sorted(Object.keys(e.textBody[0])), sorted(example((_t, j) => Array.isArray(j) && j[0] === 'partId')));
  assert.deepEqual(sorted(Object.keys(parsed.parsed[blobId])), sorted(example((_t, j) => Array.isArray(j) && j[0] === 'messageId')));
});

test('RFC 8621 default property lists match the examples', opts, () => {
  assert.deepEqual(DEFAULT_BODY_PROPERTIES, example((_t, j) => Array.isArray(j) && j[0] === 'partId'));
  assert.deepEqual(DEFAULT_EMAIL_PROPERTIES, example((_t, j) => Array.isArray(j) && j[0] === 'id' && j.includes('attachments')));
  assert.deepEqual(PARSE_DEFAULTS, example((_t, j) => Array.isArray(j) && j[0] === 'messageId'));
  assert.equal(toSort(example((_t, j) => Array.isArray(j) && j[0]?.property === 'someInThreadHaveKeyword')).length, 3);
});

test('RFC 8621 §4.2 Email/get example: List-Post URLs, htmlBody and truncated bodyValues', opts, async () => {
  const req = example((t) => t.includes('header:List-POST:asURLs') && t.includes('fetchHTMLBodyValues'));
  req[0][1].accountId = ALICE_ID;
  req[0][1].ids = [emailId, 'f123u456'];
  const expected = rebind(example((t) => t.includes('Dinner on Thursday?') && t.includes('"state"')), { f123: inbox });
  const [[, body]] = (await call(h, req)) as any;
  const e = body.list[0];
  sameShape(body, expected[0][1]);
  assert.deepEqual(body.notFound, ['f123u456']);
  assert.equal(e.subject, 'Dinner on Thursday?');
  assert.equal(e.receivedAt.endsWith('Z'), true);
  assert.deepEqual(e['header:List-POST:asURLs'], expected[0][1].list[0]['header:List-POST:asURLs']);
  assert.deepEqual(e.htmlBody.map((p: any) => p.type), ['text/html', 'text/plain']);
  const [htmlPart, textPart] = e.htmlBody;
  assert.equal(e.bodyValues[htmlPart.partId].isTruncated, true);
  assert.ok(Buffer.byteLength(e.bodyValues[htmlPart.partId].value) <= 256);
  assert.equal(e.bodyValues[textPart.partId].isTruncated, false);
  assert.equal(e.bodyValues[textPart.partId].value.trim(), '-- Sent by your friendly mailing list');
  assert.deepEqual(Object.keys(htmlPart).sort(), ['blobId', 'partId', 'size', 'type']);
});

test('RFC 8621 §4.3/4.5 changes examples with unknown states answer cannotCalculateChanges', opts, async () => {
  const req = rebind(example((t) => t.includes('"Email/queryChanges"')), { ue150411c: ALICE_ID, fb666a55: inbox });
  const res = (await call(h, req)) as any;
  assert.deepEqual(res.map((r: any) => [r[0], r[1].type]), [['error', 'cannotCalculateChanges'], ['error', 'cannotCalculateChanges']]);
});

test('RFC 8621 §4.6 Email/set keyword example and §4.7 Email/copy example', opts, async () => {
  const set = rebind(example((t) => t.includes('"keywords/$seen":null')), { ue150411c: ALICE_ID, Ma783e5cdf5f2deffbc97930a: emailId });
  const [[name, body]] = (await call(h, set)) as any;
  assert.equal(name, 'Email/set');
  assert.deepEqual(body.updated, { [emailId]: null });
  const copy = rebind(example((t) => t.includes('"Email/copy"')), { u6c6c41ac: ALICE_ID });
  const [[, err]] = (await call(h, copy)) as any;
  assert.equal(err.type, 'fromAccountNotFound');
});

test('RFC 8621 §3/§6 Thread/get and Identity/get examples', opts, async () => {
  const [thread] = await h.store.getThreads(ALICE, [(await h.store.getEmails(ALICE, [emailId]))[0]!.threadId]);
  const req = rebind(example((t) => t.includes('"Thread/get"') && t.includes('f41u44') && !t.includes('emailIds')), { acme: ALICE_ID, f123u4: thread!.id });
  const [[name, tb]] = (await call(h, req)) as any;
  assert.equal(name, 'Thread/get');
  assert.deepEqual(tb.notFound, ['f41u44']);
  assert.deepEqual(tb.list, [{ id: thread!.id, emailIds: [emailId] }]);
  const expected = example((t) => t.includes('"Thread/get"') && t.includes('"f6a7e214"'));
  sameShape(tb, expected[0][1]);
  assert.deepEqual(Object.keys(tb.list[0]).sort(), Object.keys(expected[0][1].list[0]).sort());
  const identity = rebind(example((_t, j) => Array.isArray(j) && j[0] === 'Identity/get'), { acme: ALICE_ID });
  const [[iname, ib]] = (await call(h, [identity], USING_ALL)) as any;
  assert.equal(iname, 'Identity/get');
  sameShape(ib, { accountId: '', state: '', list: [{ id: '', name: '', email: '', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: true }], notFound: [] });
  assert.equal(ib.list[0].email, ALICE);
});

test('RFC 8620 §7.1 StateChange example has the shape our pushes have', opts, async () => {
  const expected = example((_t, j) => j && j['@type'] === 'StateChange');
  const res = await fetch(`${h.url}/eventSource?types=*&closeafter=state&ping=0`, { headers: { Authorization: h.basic(ALICE) } });
  const reader = res.body!.getReader();
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'push shape' }) }, { delivery: true });
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  await reader.cancel();
  const data = JSON.parse(/data: (.*)/.exec(text)![1]!);
  assert.equal(data['@type'], expected['@type']);
  assert.equal(typeof Object.values(data.changed)[0], 'object');
  assert.ok(Object.keys((Object.values(data.changed)[0] as object)).includes('Email'));
});

// ---- RFC 8620's generic examples (Foo, Todo) sent as the mail types that have the same methods ----

/** Creates an email in the inbox with this subject and keywords; returns its id. */
async function emailWith(subject: string, keywords: string[] = []): Promise<string> {
  return (await h.store.append(ALICE, { mailboxIds: [inbox], keywords, bytes: message({ subject }) })).emailId;
}
const TODO_AS_EMAIL = { 'Todo/query': 'Email/query', 'Todo/get': 'Email/get', 'Todo/set': 'Email/set', 'Todo/changes': 'Email/changes', 'Todo/queryChanges': 'Email/queryChanges', title: 'subject' };

test('RFC 8620 §3.7 back-reference example sent with Foo as Mailbox; the response has the example\'s shape', opts, async () => {
  const since = (await h.store.getStates(ALICE)).Mailbox;
  const [[, made]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: { f: { name: 'Foo example' } } }, '0']])) as any;
  const calls = rebind(example((t, j) => Array.isArray(j) && t.includes('"Foo/get"') && t.includes('/created')), {
    A1: ALICE_ID, abcdef: since, 'Foo/changes': 'Mailbox/changes', 'Foo/get': 'Mailbox/get',
  });
  const res = (await call(h, calls)) as any;
  assert.deepEqual(res.map((r: any) => [r[0], r[2]]), [['Mailbox/changes', 't0'], ['Mailbox/get', 't1']]);
  sameShape(res[0][1], example((t, j) => Array.isArray(j) && t.includes('"Foo/changes"') && t.includes('newState'))[0][1]);
  assert.deepEqual(res[0][1].created, [made.created.f.id]);
  assert.deepEqual(res[1][1].list.map((m: any) => m.id), [made.created.f.id]);
});

test('RFC 8620 §5.5 Todo/query example sent as Email/query (title → subject): OR of keywords, sorted', opts, async () => {
  const music = await emailWith('B music', ['music']);
  const video = await emailWith('A video', ['video']);
  await emailWith('C neither');
  const calls = rebind(example((t) => t.includes('"Todo/query"') && t.includes('"Todo/get"')), { x: ALICE_ID, ...TODO_AS_EMAIL });
  const res = (await call(h, calls)) as any;
  assert.deepEqual(res.map((r: any) => r[0]), ['Email/query', 'Email/get']);
  assert.deepEqual(res[0][1].ids, [video, music]);
  assert.deepEqual(res[1][1].list.map((e: any) => e.subject), ['A video', 'B music']);
});

test('RFC 8620 §5.3 Todo/set examples sent as Email/set: whole-value and patch updates, response shape', opts, async () => {
  const id = await emailWith('Practise Piano', ['music']);
  const state = (await h.store.getStates(ALICE)).Email;
  // Email has no neuralNetworkTimeEstimation; title is Email's subject, passed back unchanged as §5.3 allows.
  const whole = rebind(example((t) => t.includes('"Todo/set"') && t.includes('neuralNetworkTimeEstimation') && t.includes('ifInState')), {
    x: ALICE_ID, a: id, '10324': state, ...TODO_AS_EMAIL,
  });
  delete whole[0][1].update[id].neuralNetworkTimeEstimation;
  const [[name, body]] = (await call(h, whole)) as any;
  assert.equal(name, 'Email/set', JSON.stringify(body));
  assert.deepEqual(Object.keys(body.updated ?? {}), [id], JSON.stringify(body));
  sameShape(body, rebind(example((t) => t.includes('"Todo/set"') && t.includes('"newState"'))[0][1], { a: id }));
  const patch = rebind(example((t) => t.includes('"keywords/mozart":null')), { x: ALICE_ID, a: id, '10324': body.newState, ...TODO_AS_EMAIL });
  const [[, patched]] = (await call(h, patch)) as any;
  assert.deepEqual(Object.keys(patched.updated ?? {}), [id], JSON.stringify(patched));
  const [meta] = await h.store.getEmails(ALICE, [id]);
  assert.deepEqual([...meta!.keywords].sort(), ['beethoven', 'chopin', 'liszt', 'music', 'rachmaninov']);
});

test('RFC 8620 §5.3 creation-reference example sent as Mailbox/set (title → name, subTodoIds → parentId)', opts, async () => {
  const [[, made]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: { a: { name: 'Practise' } } }, '0']])) as any;
  const a = made.created.a.id as string;
  const req = rebind(example((t) => t.includes('"#k15"')), { x: ALICE_ID, a, 'Todo/set': 'Mailbox/set', title: 'name', subTodoIds: 'parentId' });
  // A Todo lists its children; a Mailbox names its one parent: the list of one creation id becomes that id.
  req[0][1].update[a].parentId = req[0][1].update[a].parentId[0];
  const [[, body]] = (await call(h, req)) as any;
  const k15 = body.created?.k15?.id as string;
  assert.ok(k15, JSON.stringify(body));
  assert.deepEqual(Object.keys(body.updated ?? {}), [a]);
  const [[, got]] = (await call(h, [['Mailbox/get', { accountId: ALICE_ID, ids: [a] }, 'g']])) as any;
  assert.equal(got.list[0].parentId, k15);
});

test('RFC 8620 §5.6 Todo/changes + Todo/queryChanges example sent as Email: the destroyed email is reported', opts, async () => {
  const doomed = await emailWith('D music doomed', ['music']);
  const query = { filter: { operator: 'OR', conditions: [{ hasKeyword: 'music' }, { hasKeyword: 'video' }] }, sort: [{ property: 'subject' }] };
  const [[, before]] = (await call(h, [['Email/query', { accountId: ALICE_ID, ...query }, 'q']])) as any;
  assert.equal(before.canCalculateChanges, true);
  const state = (await h.store.getStates(ALICE)).Email;
  await call(h, [['Email/set', { accountId: ALICE_ID, destroy: [doomed] }, 'd']]);
  const req = rebind(example((t) => t.includes('"Todo/changes"') && t.includes('sinceQueryState')), { x: ALICE_ID, '10324': state, y13213: before.queryState, ...TODO_AS_EMAIL });
  const res = (await call(h, req)) as any;
  const expected = example((t) => t.includes('"Todo/changes"') && t.includes('"oldQueryState"'));
  assert.deepEqual(res.map((r: any) => r[0]), ['Email/changes', 'Email/queryChanges']);
  // The example prints "added": null; RFC 8620 §5.6 types it AddedItem[], which is what we send.
  sameShape(res[0][1], rebind(expected[0][1], { b: doomed }));
  sameShape(res[1][1], rebind(expected[1][1], { b: doomed }));
  assert.deepEqual(res[0][1].destroyed, [doomed]);
  assert.ok(res[1][1].removed.includes(doomed));
  assert.deepEqual(res[1][1].added, []);
});

test('RFC 8620 §5.4 Todo/copy example sent as Email/copy: there is no other account to copy from', opts, async () => {
  const req = rebind(example((t) => t.includes('"Todo/copy"')), { x: await accountIdOf(h, 'bob@example.com'), y: ALICE_ID, a: emailId, 'Todo/copy': 'Email/copy' });
  const [[name, body]] = (await call(h, req)) as any;
  assert.deepEqual([name, body.type], ['error', 'fromAccountNotFound']);
});

test('RFC 8621 §4.4.2 sort example is accepted by Email/query', opts, async () => {
  const sort = example((_t, j) => Array.isArray(j) && j[0]?.property === 'someInThreadHaveKeyword');
  const [[name, body]] = (await call(h, [['Email/query', { accountId: ALICE_ID, sort }, 'q']])) as any;
  assert.equal(name, 'Email/query', JSON.stringify(body));
  // A thread-keyword sort depends on other emails of the thread: no queryChanges for it.
  assert.equal(body.canCalculateChanges, false);
});

test('RFC 8621 §4.10 changes example with real states: Email/changes answers, collapsed queryChanges cannot', opts, async () => {
  const state = (await h.store.getStates(ALICE)).Email;
  const query = { filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true };
  const [[, q]] = (await call(h, [['Email/query', { accountId: ALICE_ID, ...query }, 'q']])) as any;
  assert.equal(q.canCalculateChanges, false);
  const fresh = await emailWith('after the query');
  const req = rebind(example((t) => t.includes('"Email/queryChanges"')), {
    ue150411c: ALICE_ID, fb666a55: inbox, '780605': state, '09aa9a075588-780599:0': q.queryState, Mc2781d5e856a908d8a35a564: emailId,
  });
  const res = (await call(h, req)) as any;
  assert.equal(res[0][0], 'Email/changes');
  sameShape(res[0][1], { accountId: '', oldState: '', newState: '', hasMoreChanges: false, created: [''], updated: [''], destroyed: [''] });
  assert.ok(res[0][1].created.includes(fresh));
  assert.deepEqual([res[1][0], res[1][1].type], ['error', 'cannotCalculateChanges']);
});

test('RFC 8621 §7.5 EmailSubmission/set response examples: created with the implicit Email/set, and a refusal', opts, async () => {
  const drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
  const draft = async (from: string): Promise<string> =>
    (await h.store.append(ALICE, { mailboxIds: [drafts], keywords: ['$draft'], bytes: message({ from, to: 'Bob <bob@example.com>', subject: 'submit' }) })).emailId;
  const mine = await draft('Alice <alice@example.com>');
  const res = (await call(h, [['EmailSubmission/set', {
    accountId: ALICE_ID, create: { k1490: { identityId: 'default', emailId: mine } }, onSuccessUpdateEmail: { '#k1490': { 'keywords/$draft': null } },
  }, '0']], USING_ALL)) as any;
  const ok = example((t) => t.includes('"EmailSubmission/set"') && t.includes('"created"'));
  assert.deepEqual(res.map((r: any) => [r[0], r[2]]), ok.map((r: any) => [r[0], r[2]]));
  sameShape(res[0][1], ok[0][1]);
  sameShape(res[1][1], rebind(ok[1][1], { M7f6ed5bcfd7e2604d1753f6c: mine }));
  assert.deepEqual(res[1][1].updated, { [mine]: null });
  // The example's forbiddenToSend (the account may not send at all) has no cause here; a From that is
  // not the identity's is refused with forbiddenFrom, a SetError of the same shape.
  const refused = await draft('Mallory <mallory@example.org>');
  const [[, no]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: { k1490: { identityId: 'default', emailId: refused } } }, '0']], USING_ALL)) as any;
  const bad = example((t) => t.includes('forbiddenToSend'));
  sameShape(no, bad[0][1]);
  assert.equal(no.notCreated.k1490.type, 'forbiddenFrom');
});

/** The PushVerification (or StateChange) object in a push: decrypted (RFC 8291) when the subscription has keys. */
function pushedObject(push: ReceivedPush, receiver: ReceiverKeys | undefined): any {
  assert.equal(push.headers['content-type'], 'application/json');
  assert.equal(push.headers['content-encoding'], receiver ? 'aes128gcm' : undefined);
  return JSON.parse((receiver ? decryptWebPush(push.body, receiver) : push.body).toString('utf8'));
}

// The examples as printed (no keys: the PushVerification arrives in clear), and once more with keys
// added to the create, so that the PushVerification the endpoint decrypts is checked as well.
for (const encrypted of [false, true]) {
  test(`RFC 8620 §7.2 PushSubscription examples${encrypted ? ' (with keys added)' : ''}: create, PushVerification, code set, get, expires shortened`, opts, async () => {
    const EXAMPLE_ID = 'P43dcfa4-1dd4-41ef-9156-2c89b3b19c60';
    const receiver = encrypted ? newReceiver(randomBytes(16)) : undefined;
    const run = async (calls: Call[]): Promise<any[]> => (await call(h, calls, ['urn:ietf:params:jmap:core'])) as any[];
    const standard = ['accountId', 'oldState', 'newState', 'state'];

    // §7.2.2 create: the example's url, on the local push service (its path and query kept).
    const create = example((t) => t.includes('"PushSubscription/set"') && t.includes('"create"'));
    const asked = create[0][1].create['4f29'];
    const exampleUrl = new URL(asked.url);
    const path = `${exampleUrl.pathname}${exampleUrl.search}${encrypted ? '&keys' : ''}`;
    asked.url = endpoint.url(path);
    if (receiver) asked.keys = { p256dh: receiver.publicKey.toString('base64url'), auth: receiver.authSecret.toString('base64url') };
    const [made] = await run(create);
    const createdExample = example((t) => t.includes('"PushSubscription/set"') && t.includes('"created"'));
    assert.equal(made[0], createdExample[0][0], JSON.stringify(made));
    const id = made[1].created?.['4f29']?.id as string;
    assert.ok(id, JSON.stringify(made));
    // §5.3: keys: null is in the example's created because the client did not send keys; here it did.
    if (receiver) delete createdExample[0][1].created['4f29'].keys;
    sameShape(made[1], rebind(createdExample[0][1], { [EXAMPLE_ID]: id }));
    assert.deepEqual(standard.filter((k) => k in made[1]), [], '§7.2.2: no accountId, oldState or newState');

    // §7.2.2: the PushVerification object, as the push service receives it.
    const verificationExample = example((_t, j) => j && j['@type'] === 'PushVerification');
    const verification = pushedObject(await endpoint.until('PushVerification', () => endpoint.on(path)[0]), receiver);
    assert.deepEqual(Object.keys(verification).sort(), Object.keys(verificationExample).sort());
    sameShape(verification, verificationExample);
    assert.equal(verification['@type'], verificationExample['@type']);
    assert.equal(verification.pushSubscriptionId, id);

    // The client sets the code it received.
    const verify = rebind(example((t) => t.includes('"PushSubscription/set"') && t.includes('"update"') && t.includes('"verificationCode"')), {
      [EXAMPLE_ID]: id, [verificationExample.verificationCode]: verification.verificationCode,
    });
    const [verified] = await run(verify);
    assert.equal(verified[0], 'PushSubscription/set', JSON.stringify(verified));
    assert.deepEqual(verified[1].updated, { [id]: null }, JSON.stringify(verified));

    // §7.2.1 /get: the example's response members and PushSubscription properties, nothing else.
    const [got] = await run(example((t) => t.includes('"PushSubscription/get"') && t.includes('"ids"')));
    const getExample = example((t) => t.includes('"PushSubscription/get"') && t.includes('"list"'));
    assert.equal(got[0], getExample[0][0], JSON.stringify(got));
    assert.deepEqual(Object.keys(got[1]).sort(), Object.keys(getExample[0][1]).sort());
    sameShape(got[1], getExample[0][1]);
    const mine = got[1].list.find((s: any) => s.id === id);
    assert.ok(mine, JSON.stringify(got));
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(getExample[0][1].list[0]).sort());
    sameShape(mine, getExample[0][1].list[0]);
    assert.equal(mine.verificationCode, verification.verificationCode);

    // §7.2.2: an expiry further off than the server allows is shortened, and the response says to what.
    // The example's date is long past; a year from now is as much beyond this server's maximum.
    const far = new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const extend = rebind(example((t) => t.includes('"PushSubscription/set"') && t.includes('"update"') && t.includes('"expires"')), {
      [EXAMPLE_ID]: id, '2018-08-13T00:00:00Z': far,
    });
    const [extended] = await run(extend);
    const extendedExample = example((t) => t.includes('"PushSubscription/set"') && t.includes('"updated"'));
    assert.equal(extended[0], extendedExample[0][0], JSON.stringify(extended));
    sameShape(extended[1], rebind(extendedExample[0][1], { [EXAMPLE_ID]: id }));
    assert.deepEqual(standard.filter((k) => k in extended[1]), [], '§7.2.2: no accountId, oldState or newState');
    const shortened = Date.parse(extended[1].updated[id].expires);
    assert.ok(shortened > Date.now() && shortened < Date.parse(far), extended[1].updated[id].expires);
  });
}

/**
 * Examples no test above can run, each with the reason; `stillTrue` re-checks the reason, so an
 * excuse that stops holding (e.g. the method it needs gets registered) fails the ledger below.
 * Every example of the file is run at present.
 */
const NOT_RUN: Array<{ match: (text: string) => boolean; reason: string; stillTrue: () => boolean }> = [];

test('every example in the file is run above or excused in NOT_RUN with a reason that still holds', opts, () => {
  const problems: string[] = [];
  examples.forEach((e, i) => {
    const text = JSON.stringify(e.json);
    const excuse = NOT_RUN.find((n) => n.match(text));
    if (excuse && used.has(i)) problems.push(`#${i} is both run and excused`);
    else if (excuse && !excuse.stillTrue()) problems.push(`#${i} is excused (${excuse.reason}) but that no longer holds: run it`);
    else if (!excuse && !used.has(i)) problems.push(`#${i} (${e.file}) is neither run nor excused: ${text.slice(0, 100)}`);
  });
  assert.deepEqual(problems, []);
  const excused = examples.flatMap((e, i) => (used.has(i) ? [] : [`#${i} ${NOT_RUN.find((n) => n.match(JSON.stringify(e.json)))!.reason}`]));
  console.log(`# JMAP examples: ${used.size} of ${examples.length} run; not run: ${excused.join('; ') || 'none'}`);
});
