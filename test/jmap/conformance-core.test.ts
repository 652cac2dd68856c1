// Conformance of request handling and Mailbox query sync to RFC 8620, each test named by its clause.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';

let h: Harness;
let ALICE_ID: string;

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount('alice@example.com');
  ALICE_ID = await accountIdOf(h);
});
after(() => h.close());

const ECHO = JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { ping: 1 }, 'c0']] });

async function postWithType(contentType: string | undefined): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { Authorization: h.basic('alice@example.com') };
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  // fetch labels a string body text/plain unless told otherwise; a Uint8Array body goes out untyped.
  const res = await fetch(`${h.url}/jmap`, { method: 'POST', headers, body: new TextEncoder().encode(ECHO) });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

test('RFC 8620 §3.6.1 notJSON: a request whose content type is not application/json is refused with 400 problem details', async () => {
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
    const r = await postWithType(contentType);
    assert.equal(r.status, 400, `Content-Type ${contentType}`);
    assert.match(r.type ?? '', /^application\/problem\+json/);
    assert.equal(r.body.type, 'urn:ietf:params:jmap:error:notJSON', `Content-Type ${contentType}`);
    assert.equal(r.body.status, 400);
  }
});

test('RFC 8620 §3.1: application/json with parameters and in any case is a JMAP request', async () => {
  for (const contentType of ['application/json', 'Application/JSON; charset=utf-8']) {
    const r = await postWithType(contentType);
    assert.equal(r.status, 200, `Content-Type ${contentType}`);
    assert.deepEqual(r.body.methodResponses, [['Core/echo', { ping: 1 }, 'c0']]);
  }
});

/** Applies a Foo/queryChanges response to a cached id list as RFC 8620 §5.6 tells a client to. */
function applyQueryChanges(cached: string[], changes: { removed: string[]; added: Array<{ id: string; index: number }> }): string[] {
  const removed = new Set(changes.removed);
  const out = cached.filter((id) => !removed.has(id));
  for (const { id, index } of [...changes.added].sort((a, b) => a.index - b.index)) out.splice(index, 0, id);
  return out;
}

test('RFC 8620 §5.6 Mailbox/queryChanges: creations, renames and destroys since a query state bring a cached list up to date', async () => {
  const query = { accountId: ALICE_ID, filter: { hasAnyRole: false }, sort: [{ property: 'name', isAscending: true }] };
  const [[, seed]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: {
    b: { name: 'Qc Bravo' }, d: { name: 'Qc Delta' }, f: { name: 'Qc Foxtrot' },
  } }, 's']])) as any;
  const [[, before]] = (await call(h, [['Mailbox/query', query, 'q']])) as any;
  assert.equal(before.canCalculateChanges, true);
  const [[, unchanged]] = (await call(h, [['Mailbox/queryChanges', { ...query, sinceQueryState: before.queryState }, 'c']])) as any;
  assert.deepEqual({ removed: unchanged.removed, added: unchanged.added }, { removed: [], added: [] });

  const r = (await call(h, [
    ['Mailbox/set', { accountId: ALICE_ID, create: { a: { name: 'Qc Alpha' } }, update: { [seed.created.f.id]: { name: 'Qc Charlie' } }, destroy: [seed.created.d.id] }, 's'],
    ['Mailbox/queryChanges', { ...query, sinceQueryState: before.queryState, calculateTotal: true }, 'c'],
    ['Mailbox/query', query, 'q'],
  ])) as any;
  const changes = r[1][1];
  const now = r[2][1];
  assert.equal(r[1][0], 'Mailbox/queryChanges', JSON.stringify(r[1]));
  assert.equal(changes.oldQueryState, before.queryState);
  assert.equal(changes.newQueryState, now.queryState);
  assert.equal(changes.total, now.ids.length);
  assert.ok(changes.removed.includes(seed.created.d.id), 'the destroyed mailbox is removed');
  assert.ok(changes.added.some((a: { id: string }) => a.id === r[0][1].created.a.id), 'the created mailbox is added');
  assert.deepEqual(applyQueryChanges(before.ids, changes), now.ids);
});

test('RFC 8620 §5.5/§5.6: a Mailbox query sorted as a tree says canCalculateChanges false and its queryChanges refuses an old state', async () => {
  const query = { accountId: ALICE_ID, sortAsTree: true };
  const [[, before]] = (await call(h, [['Mailbox/query', query, 'q']])) as any;
  assert.equal(before.canCalculateChanges, false);
  await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: { t: { name: 'Qc Tree' } } }, 's']]);
  const [[name, err]] = (await call(h, [['Mailbox/queryChanges', { ...query, sinceQueryState: before.queryState }, 'c']])) as any;
  assert.equal(name, 'error');
  assert.equal(err.type, 'cannotCalculateChanges');
});

test('RFC 8620 §5.3 invalidProperties: Mailbox/set lists the offending property for a taken role and for a parent cycle', async () => {
  const [[, made]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, create: { p: { name: 'Cycle parent' }, k: { name: 'Cycle kid', parentId: '#p' } } }, 's']])) as any;
  const parent = made.created.p.id as string;
  const kid = made.created.k.id as string;
  const [[, r]] = (await call(h, [['Mailbox/set', {
    accountId: ALICE_ID,
    create: { second: { name: 'Second inbox', role: 'inbox' } },
    update: { [parent]: { parentId: kid } },
  }, 's']])) as any;
  assert.equal(r.notCreated?.second?.type, 'invalidProperties', JSON.stringify(r));
  assert.deepEqual(r.notCreated.second.properties, ['role']);
  assert.equal(r.notUpdated?.[parent]?.type, 'invalidProperties', JSON.stringify(r));
  assert.deepEqual(r.notUpdated[parent].properties, ['parentId']);
  const [[, after]] = (await call(h, [['Mailbox/get', { accountId: ALICE_ID, ids: [parent], properties: ['parentId'] }, 'g']])) as any;
  assert.equal(after.list[0].parentId, null, 'the refused move changed nothing');
});
