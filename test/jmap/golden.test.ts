// RFC 8620/8621 example requests (../shared/jmap-examples) as golden tests: each example request
// that applies is run against the server with its ids rebound to real ones, and our responses must
// have the shape of the example responses. Without ../shared the file skips with a notice, except
// under CI=true where it fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { resolveReferences } from '../../src/jmap/core/references.js';
import { toJmapRequest } from '../../src/jmap/core/parse.js';
import { asAddresses, asGroupedAddresses } from '../../src/jmap/mail/header-forms.js';
import { DEFAULT_BODY_PROPERTIES } from '../../src/jmap/mail/body-structure.js';
import { DEFAULT_EMAIL_PROPERTIES } from '../../src/jmap/mail/email-view.js';
import { PARSE_DEFAULTS } from '../../src/jmap/methods/email-set.js';
import { toSort } from '../../src/jmap/mail/query-filter.js';
import { accountIdOf, call, message, post, startHarness, USING, type Call, type Harness } from './harness.js';

const FILE = join(fileURLToPath(new URL('../../../shared/jmap-examples/rfc8620-8621-examples.json', import.meta.url)));
const present = existsSync(FILE);
if (!present) {
  if (process.env.CI === 'true') throw new Error(`JMAP examples missing at ${FILE} (required under CI=true)`);
  console.log(`# skipping JMAP golden tests: ${FILE} not found`);
}
type Example = { file: string; json: unknown };
const examples: Example[] = present ? (JSON.parse(readFileSync(FILE, 'utf8')) as Example[]) : [];
const opts = { skip: !present };

/** The first example whose JSON text matches `pred`. */
function example(pred: (text: string, json: any) => boolean): any {
  const found = examples.find((e) => pred(JSON.stringify(e.json), e.json));
  assert.ok(found, 'example not found in the examples file');
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
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;
let emailId: string;

before(async () => {
  if (!present) return;
  h = await startHarness();
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
  if (present) await h.close();
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
  const thread = rebind(example((t) => t.includes('"Thread/get"') && t.includes('f41u44') && !t.includes('emailIds')), { acme: ALICE_ID });
  const [[, tb]] = (await call(h, thread)) as any;
  assert.deepEqual(tb.notFound, ['f123u4', 'f41u44']);
  sameShape(tb, { accountId: '', state: '', list: [], notFound: [] });
  const identity = rebind(example((_t, j) => Array.isArray(j) && j[0] === 'Identity/get'), { acme: ALICE_ID });
  const res = await post(h, { using: [...USING, 'urn:ietf:params:jmap:submission'], methodCalls: [identity] });
  // Submission is offered only with a delivery service; without one, Identity is unknown to the client.
  assert.equal(res.status, 400);
  assert.equal(res.body.type, 'urn:ietf:params:jmap:error:unknownCapability');
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
