// Quota (RFC 9425): every property on /get, /changes with updatedProperties, /query filters and
// sorts, /queryChanges, each clause a test against the real store's usage and limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, USING, type Call, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const USING_QUOTA = [...USING, 'urn:ietf:params:jmap:quota'];
let h: Harness;
let ID: string;
let inbox: string;

async function calls(c: Call[], auth?: string): Promise<any[]> {
  return (await call(h, c, USING_QUOTA, auth)) as any[];
}
async function one(name: string, args: Record<string, unknown>): Promise<any> {
  const [[n, r]] = await calls([[name, { accountId: ID, ...args }, '0']]);
  return n === 'error' ? { error: r.type } : r;
}
async function quotaState(): Promise<string> {
  return (await one('Quota/get', { ids: [] })).state;
}
async function append(): Promise<void> {
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'quota' }) });
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  await h.store.ensureAccount('bob@example.com');
  ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  await h.store.setQuota(ALICE, { storage: 1_000_000, messages: 10 });
  await append();
});
after(() => h.close());

test('RFC 9425 §4.1: Quota/get returns every Quota property (warnLimit, softLimit null when not set)', async () => {
  const usage = await h.store.getQuota(ALICE);
  const r = await one('Quota/get', { ids: null });
  assert.deepEqual(r.list, [
    {
      id: 'storage', resourceType: 'octets', used: usage.storage.used, hardLimit: 1_000_000, scope: 'account', name: `${ALICE} storage`,
      types: ['Email'], warnLimit: null, softLimit: null, description: 'Bytes of mail stored in the account',
    },
    {
      id: 'messages', resourceType: 'count', used: 1, hardLimit: 10, scope: 'account', name: `${ALICE} messages`,
      types: ['Email'], warnLimit: null, softLimit: null, description: 'Number of emails in the account',
    },
  ]);
  assert.deepEqual((await one('Quota/get', { ids: ['messages', 'nope'], properties: ['used', 'warnLimit'] })).list, [{ id: 'messages', used: 1, warnLimit: null }]);
  const bob = h.basic('bob@example.com');
  const [[, b]] = await calls([['Quota/get', { accountId: await accountIdOf(h, 'bob@example.com'), ids: ['storage'] }, 'b']], bob);
  assert.deepEqual([b.list, b.notFound], [[], ['storage']], 'an unlimited resource has no Quota');
});

test('RFC 9425 §4.2: Quota/changes reports usage changes with updatedProperties ["used"]', async () => {
  const s0 = await quotaState();
  assert.deepEqual(await one('Quota/changes', { sinceState: s0 }), {
    accountId: ID, oldState: s0, newState: s0, hasMoreChanges: false, created: [], updated: [], destroyed: [], updatedProperties: null,
  });
  await append();
  const s1 = await quotaState();
  assert.notEqual(s1, s0);
  assert.deepEqual(await one('Quota/changes', { sinceState: s0, maxChanges: 5 }), {
    accountId: ID, oldState: s0, newState: s1, hasMoreChanges: false, created: [], updated: ['storage', 'messages'], destroyed: [], updatedProperties: ['used'],
  });
});

test('RFC 9425 §4.2: across a change of the limits, or from a state never issued, Quota/changes is cannotCalculateChanges', async () => {
  const before = await quotaState();
  await h.store.setQuota(ALICE, { storage: 2_000_000, messages: 10 });
  const after = await quotaState();
  assert.notEqual(after, before);
  assert.deepEqual(await one('Quota/changes', { sinceState: before }), { error: 'cannotCalculateChanges' });
  assert.equal((await one('Quota/changes', { sinceState: after })).newState, after);
  assert.deepEqual(await one('Quota/changes', { sinceState: 'bogus' }), { error: 'cannotCalculateChanges' });
  assert.deepEqual(await one('Quota/changes', { sinceState: '99999999' }), { error: 'cannotCalculateChanges' });
  assert.deepEqual(await one('Quota/changes', { sinceState: 7 }), { error: 'invalidArguments' });
});

test('RFC 9425 §4.3.1: Quota/query filters name (contains), scope and resourceType (exactly), type (in types), with operators', async () => {
  const ids = async (filter: unknown): Promise<unknown> => {
    const r = await one('Quota/query', { filter });
    return r.error ?? r.ids;
  };
  assert.deepEqual(await ids({ resourceType: 'count' }), ['messages']);
  assert.deepEqual(await ids({ resourceType: 'octets', scope: 'account' }), ['storage']);
  assert.deepEqual(await ids({ scope: 'domain' }), []);
  assert.deepEqual(await ids({ type: 'Email' }), ['messages', 'storage']);
  assert.deepEqual(await ids({ type: 'Calendar' }), []);
  assert.deepEqual(await ids({ name: 'STORAGE' }), ['storage']);
  assert.deepEqual(await ids({ operator: 'NOT', conditions: [{ resourceType: 'count' }] }), ['storage']);
  assert.deepEqual(await ids({ operator: 'OR', conditions: [{ name: 'messages' }, { name: 'storage' }] }), ['messages', 'storage']);
  assert.deepEqual(await ids({ scope: ['account'] }), 'unsupportedFilter');
  assert.deepEqual(await ids({ hardLimit: 10 }), 'unsupportedFilter');
});

test('RFC 9425 §4.3.2: Quota/query sorts by name and used; other properties are unsupportedSort', async () => {
  const byUsed = await one('Quota/query', { sort: [{ property: 'used', isAscending: false }], calculateTotal: true });
  assert.deepEqual([byUsed.ids, byUsed.total, byUsed.canCalculateChanges], [['storage', 'messages'], 2, false]);
  const byName = await one('Quota/query', { sort: [{ property: 'name' }], limit: 1 });
  assert.deepEqual([byName.ids, byName.position, byName.canCalculateChanges, byName.queryState], [['messages'], 0, true, await quotaState()]);
  assert.deepEqual(await one('Quota/query', { sort: [{ property: 'hardLimit' }] }), { error: 'unsupportedSort' });
});

test('RFC 9425 §4.4: Quota/queryChanges after usage changes: nothing added or removed; sorted by used or across limits, cannotCalculateChanges', async () => {
  const q = await one('Quota/query', { sort: [{ property: 'name' }] });
  await append();
  const now = await quotaState();
  assert.deepEqual(await one('Quota/queryChanges', { sinceQueryState: q.queryState, sort: [{ property: 'name' }], calculateTotal: true }), {
    accountId: ID, oldQueryState: q.queryState, newQueryState: now, removed: [], added: [], total: 2,
  });
  assert.deepEqual(await one('Quota/queryChanges', { sinceQueryState: q.queryState, sort: [{ property: 'used' }] }), { error: 'cannotCalculateChanges' });
  await h.store.setQuota(ALICE, { storage: 3_000_000, messages: 10 });
  assert.deepEqual(await one('Quota/queryChanges', { sinceQueryState: now }), { error: 'cannotCalculateChanges' });
});

test('Quota methods need urn:ietf:params:jmap:quota in "using"', async () => {
  const [[name, r]] = (await call(h, [['Quota/get', { accountId: ID }, 'q']], USING)) as any[];
  assert.deepEqual([name, r.type], ['error', 'unknownMethod']);
});
