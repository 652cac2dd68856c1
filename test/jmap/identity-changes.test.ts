// Identity/changes (RFC 8620 §5.2 for RFC 8621 §6): computed from the Identity change log, with the
// same window (maxChanges, hasMoreChanges, newState) as Mailbox and Email; pushed as a StateChange.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Call, type Harness } from './harness.js';
import { withDeadline } from '../support/wait.js';
import { connectEventSource } from '../support/eventsource.js';
import { localDelivery } from './local-delivery.js';

const ALICE = 'alice@example.com';
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];
let h: Harness;
let ID: string;

async function calls(c: Call[]): Promise<any[]> {
  return (await call(h, c, USING)) as any[];
}
async function identityState(): Promise<string> {
  const [[, r]] = await calls([['Identity/get', { accountId: ID, ids: [] }, 'g']]);
  return r.state;
}
async function changes(sinceState: string, maxChanges?: number): Promise<any> {
  const [[name, r]] = await calls([['Identity/changes', { accountId: ID, sinceState, ...(maxChanges ? { maxChanges } : {}) }, 'c']]);
  return name === 'error' ? { error: r.type } : r;
}
async function set(args: Record<string, unknown>): Promise<any> {
  const [[, r]] = await calls([['Identity/set', { accountId: ID, ...args }, 's']]);
  return r;
}

before(async () => {
  h = await startHarness({ delivery: localDelivery });
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
});
after(() => h.close());

test('RFC 8620 §5.2: Identity/changes reports created, updated and destroyed identities since a state', async () => {
  const s0 = await identityState();
  assert.deepEqual(await changes(s0), { accountId: ID, oldState: s0, newState: s0, hasMoreChanges: false, created: [], updated: [], destroyed: [] });

  const made = await set({ create: { a: { email: 'alice+a@example.com', name: 'A' }, b: { email: 'alice+b@example.com' } } });
  const [a, b] = [made.created.a.id, made.created.b.id];
  const s1 = made.newState;
  const c1 = await changes(s0);
  assert.deepEqual([c1.newState, c1.hasMoreChanges, [...c1.created].sort(), c1.updated, c1.destroyed], [s1, false, [a, b].sort(), [], []]);

  const edited = await set({ update: { default: { name: 'Alice' }, [a]: { textSignature: '-- A' } }, destroy: [b] });
  const s2 = edited.newState;
  assert.deepEqual(edited.destroyed, [b]);
  const c2 = await changes(s1);
  assert.deepEqual([c2.oldState, c2.newState, c2.created, [...c2.updated].sort(), c2.destroyed], [s1, s2, [], ['default', a].sort(), [b]]);
  // From s0, b was created and destroyed: the client never saw it, so it is not reported at all.
  const c02 = await changes(s0);
  assert.deepEqual([c02.created, [...c02.updated].sort(), c02.destroyed], [[a], ['default'], []]);
  assert.deepEqual(await changes(s2), { accountId: ID, oldState: s2, newState: s2, hasMoreChanges: false, created: [], updated: [], destroyed: [] });
});

test('RFC 8620 §5.2: maxChanges pages the changes; following newState until hasMoreChanges is false misses nothing', async () => {
  const start = await identityState();
  const created: string[] = [];
  for (let i = 0; i < 3; i++) created.push((await set({ create: { n: { email: `alice+p${i}@example.com` } } })).created.n.id);
  const seen: string[] = [];
  let since = start;
  for (let page = 0; ; page++) {
    assert.ok(page < 5, 'paging ends');
    const r = await changes(since, 1);
    assert.equal(r.oldState, since);
    assert.ok(r.created.length + r.updated.length + r.destroyed.length <= 1, 'at most maxChanges ids');
    seen.push(...r.created);
    since = r.newState;
    if (!r.hasMoreChanges) break;
    assert.equal(r.created.length, 1);
  }
  assert.deepEqual(seen, created);
  assert.equal(since, await identityState());
});

test('RFC 8620 §5.2: a state the server never issued is cannotCalculateChanges; wrong argument types are invalidArguments', async () => {
  assert.deepEqual(await changes('not-a-state'), { error: 'cannotCalculateChanges' });
  assert.deepEqual(await changes('999999999'), { error: 'cannotCalculateChanges' });
  const r = await calls([
    ['Identity/changes', { accountId: ID, sinceState: 5 }, 'a'],
    ['Identity/changes', { accountId: ID, sinceState: '0', maxChanges: 0 }, 'b'],
    ['Identity/changes', { accountId: ID }, 'c'],
  ]);
  assert.deepEqual(r.map((x) => x[1].type), ['invalidArguments', 'invalidArguments', 'invalidArguments']);
});

test('Identity/set pushes a StateChange naming Identity with the state Identity/get reports', async () => {
  const es = await connectEventSource(`${h.url}/eventSource?types=Identity&closeafter=no&ping=0`, h.basic(ALICE));
  try {
    const got = new Promise<Record<string, any>>((resolve) => es.addEventListener('state', (ev) => resolve(JSON.parse(ev.data))));
    const r = await set({ update: { default: { name: 'Pushed' } } });
    const change = await withDeadline(got, 5000, 'state event');
    assert.equal(change.changed[ID].Identity, r.newState);
    assert.equal(r.newState, await identityState());
  } finally {
    es.close();
  }
});

test('Identity/changes keeps 1000 tombstones; a state older than a dropped one is cannotCalculateChanges, never a wrong answer', async () => {
  const start = await identityState();
  const ids: string[] = [];
  for (const n of [500, 500, 1]) {
    const create = Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${ids.length + i}`, { email: `alice+t${ids.length + i}@example.com` }]));
    ids.push(...Object.values((await set({ create })).created).map((c: any) => c.id as string));
  }
  const made = await identityState();
  const firstDestroy = await set({ destroy: ids.slice(0, 1) });
  for (const chunk of [ids.slice(1, 501), ids.slice(501)]) assert.equal((await set({ destroy: chunk })).destroyed.length, chunk.length);
  assert.deepEqual(await changes(start), { error: 'cannotCalculateChanges' });
  assert.deepEqual(await changes(made), { error: 'cannotCalculateChanges' }, 'the first tombstone was dropped');
  const kept = await changes(firstDestroy.newState, 5000);
  assert.equal(kept.destroyed.length, 1000);
  assert.deepEqual([kept.created, kept.updated, kept.hasMoreChanges], [[], [], false]);
});

test('an Identity setting written before the change log existed answers only from its current state', async () => {
  const old = await identityState();
  await h.store.setSetting(ALICE, 'Identity', { identities: [{ id: 'legacy', name: 'L', email: 'alice+legacy@example.com', replyTo: null, bcc: null, textSignature: '', htmlSignature: '' }] });
  const now = await identityState();
  assert.deepEqual(await changes(old), { error: 'cannotCalculateChanges' });
  assert.equal((await changes(now)).newState, now);
  const r = await set({ update: { legacy: { name: 'Updated' } } });
  const c = await changes(now);
  assert.deepEqual([c.newState, c.updated], [r.newState, ['legacy']]);
});
