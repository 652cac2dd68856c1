// JMAP for Sieve (RFC 9661) on the real store and HTTP server: the capability, SieveScript/get,
// /set with content as uploaded blobs (invalidSieve, alreadyExists, sieveIsActive, tooLarge), the
// onSuccessActivateScript / onSuccessDeactivateScript switches, /query, /validate, /changes, and the
// same scripts seen by the store ManageSieve and delivery use.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, USING, type Call, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const CAP = 'urn:ietf:params:jmap:sieve';
const USING_SIEVE = [...USING, CAP];
const FILTER = 'require "fileinto";\r\nif header :contains "subject" "[list]" { fileinto "Lists"; }\r\n';
let h: Harness;
let ID: string;

async function calls(c: Call[]): Promise<any[]> {
  return (await call(h, c, USING_SIEVE)) as any[];
}
async function one(name: string, args: Record<string, unknown>): Promise<any> {
  const [[n, r]] = await calls([[name, { accountId: ID, ...args }, '0']]);
  return n === 'error' ? { error: r.type, description: r.description } : r;
}
async function upload(text: string | Buffer): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'application/sieve' }, body: text });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}
async function download(blobId: string): Promise<string> {
  const res = await fetch(`${h.url}/download/${ID}/${blobId}/x.sieve?type=application/sieve`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(res.status, 200);
  return res.text();
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
});
after(() => h.close());

test('RFC 9661 §1.2: the session advertises urn:ietf:params:jmap:sieve with its limits and the extensions', async () => {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(ALICE) } });
  const session = (await res.json()) as any;
  assert.deepEqual(session.capabilities[CAP], {});
  const cap = session.accounts[ID].accountCapabilities[CAP];
  assert.equal(cap.implementation, 'Tessera');
  assert.ok(cap.sieveExtensions.includes('fileinto') && cap.sieveExtensions.includes('variables'), cap.sieveExtensions.join(' '));
  assert.equal(typeof cap.maxSizeScript, 'number');
  assert.equal(typeof cap.maxSizeScriptName, 'number');
  assert.equal(session.primaryAccounts[CAP], ID);
});

test('RFC 9661 §2.4: create from a blob, get, activate on success, download; the store runs the same script', async () => {
  const s0 = (await one('SieveScript/get', { ids: [] })).state;
  const blobId = await upload(FILTER);
  const set = await one('SieveScript/set', { create: { a: { name: 'lists', blobId } }, onSuccessActivateScript: '#a' });
  const created = set.created.a;
  assert.equal(created.isActive, false, 'isActive as created; the activation is reported in updated');
  assert.deepEqual(set.updated, { [created.id]: { isActive: true } });
  assert.notEqual(set.newState, s0);
  const got = await one('SieveScript/get', { ids: null });
  assert.deepEqual(got.list, [{ id: created.id, name: 'lists', blobId: created.blobId, isActive: true }]);
  assert.equal(await download(created.blobId), FILTER);
  const active = await h.store.getActiveSieveScript(ALICE);
  assert.deepEqual([active?.id, active?.content], [created.id, FILTER]);

  const changes = await one('SieveScript/changes', { sinceState: s0 });
  assert.deepEqual([changes.created, changes.updated, changes.destroyed, changes.newState], [[created.id], [], [], got.state]);
});

test('RFC 9661 §2.4: SetErrors invalidSieve, alreadyExists, blobNotFound, sieveIsActive; server-set isActive refused', async () => {
  const bad = await upload('require "fileinto";\r\nfileinto ;\r\n');
  const good = await upload('keep;\r\n');
  const r = await one('SieveScript/set', {
    create: {
      broken: { name: 'broken', blobId: bad },
      dup: { name: 'lists', blobId: good },
      missing: { name: 'm', blobId: 'G' + '0'.repeat(40) },
      active: { name: 'x', blobId: good, isActive: true },
      unnamed: { blobId: good },
    },
  });
  assert.equal(r.notCreated.broken.type, 'invalidSieve');
  assert.match(r.notCreated.broken.description, /line 2/);
  assert.equal(r.notCreated.dup.type, 'alreadyExists');
  assert.equal(r.notCreated.missing.type, 'blobNotFound');
  assert.deepEqual([r.notCreated.active.type, r.notCreated.active.properties], ['invalidProperties', ['isActive']]);
  assert.equal(typeof r.created.unnamed.name, 'string', 'a script created without a name gets one');
  const lists = (await one('SieveScript/query', { filter: { name: 'lists' } })).ids[0];
  const destroy = await one('SieveScript/set', { destroy: [lists] });
  assert.equal(destroy.notDestroyed[lists].type, 'sieveIsActive');
  const cleanup = await one('SieveScript/set', { destroy: [r.created.unnamed.id] });
  assert.deepEqual(cleanup.destroyed, [r.created.unnamed.id]);
});

test('RFC 9661 §2.4: update renames and replaces content; deactivate then destroy', async () => {
  const blobId = await upload('stop;\r\n');
  const created = (await one('SieveScript/set', { create: { s: { name: 'second', blobId } } })).created.s;
  const newBlob = await upload('discard;\r\n');
  const upd = await one('SieveScript/set', { update: { [created.id]: { name: 'renamed', blobId: newBlob } } });
  assert.ok(upd.updated && created.id in upd.updated, JSON.stringify(upd));
  const script = await h.store.getSieveScript(ALICE, 'renamed');
  assert.deepEqual([script?.id, script?.content], [created.id, 'discard;\r\n']);
  const invalid = await one('SieveScript/set', { update: { [created.id]: { blobId: await upload('nonsense here') } } });
  assert.equal(invalid.notUpdated[created.id].type, 'invalidSieve');
  const lists = (await one('SieveScript/query', { filter: { isActive: true } })).ids;
  assert.equal(lists.length, 1);
  const off = await one('SieveScript/set', { onSuccessDeactivateScript: true });
  assert.deepEqual(off.updated, { [lists[0]]: { isActive: false } });
  assert.equal(await h.store.getActiveSieveScript(ALICE), null);
  const gone = await one('SieveScript/set', { destroy: [lists[0]] });
  assert.deepEqual(gone.destroyed, [lists[0]]);
});

test('RFC 9661 §2.5–2.6: /query filters and sorts by name; /validate reports invalidSieve or null', async () => {
  for (const name of ['zeta', 'alpha']) await one('SieveScript/set', { create: { c: { name, blobId: await upload('keep;') } } });
  const q = await one('SieveScript/query', { sort: [{ property: 'name' }], calculateTotal: true });
  const names = (await one('SieveScript/get', { ids: q.ids, properties: ['name'] })).list.map((s: any) => s.name);
  assert.deepEqual(names, [...names].sort());
  assert.equal(q.total, names.length);
  assert.deepEqual((await one('SieveScript/validate', { blobId: await upload(FILTER) })).error, null);
  const v = await one('SieveScript/validate', { blobId: await upload('if true { frobnicate; }') });
  assert.equal(v.error.type, 'invalidSieve');
  assert.equal((await one('SieveScript/query', { filter: { color: 'red' } })).error, 'unsupportedFilter');
});
