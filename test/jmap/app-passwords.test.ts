// AppPassword/get and /set (urn:tessera:app-passwords) over HTTP: the secret is returned by /set
// once and never by /get, the new password logs in with JMAP Basic, a request made with an app
// password cannot mint or revoke others, updates are refused, and destroying one refuses it at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, USING, type Harness } from './harness.js';

const CAP = 'urn:tessera:app-passwords';
const ALICE = 'alice@example.com';
let h: Harness;
let accountId: string;

before(async () => {
  h = await startHarness();
  accountId = await accountIdOf(h);
});
after(() => h.close());

type Body = Record<string, any>;

async function one(name: string, args: Body, auth?: string): Promise<[string, Body]> {
  const [[n, body]] = (await call(h, [[name, { accountId, ...args }, 'c']], [...USING, CAP], auth)) as unknown as Array<[string, Body, string]>;
  return [n!, body!];
}

test('the session announces the capability', async () => {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(ALICE) } });
  const session = (await res.json()) as Body;
  assert.deepEqual(session.capabilities[CAP], {});
  assert.deepEqual(session.accounts[accountId].accountCapabilities[CAP], {});
});

test('create shows the secret once; it logs in; /get lists it without the secret', async () => {
  const [, created] = await one('AppPassword/set', { create: { a: { name: 'Phone', scopes: ['jmap', 'imap'], expiresAt: '2099-01-01T00:00:00Z' } } });
  const made = created.created.a;
  assert.match(made.secret, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  assert.equal(made.id, made.secret.slice(0, 4) + made.secret.slice(5, 9));
  const basic = 'Basic ' + Buffer.from(`${ALICE}:${made.secret}`).toString('base64');
  const session = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: basic } });
  assert.equal(session.status, 200);
  await session.body?.cancel();

  const [name, got] = await one('AppPassword/get', { ids: [made.id] });
  assert.equal(name, 'AppPassword/get');
  const [item] = got.list;
  assert.equal(item.name, 'Phone');
  assert.deepEqual(item.scopes, ['jmap', 'imap']);
  assert.equal(item.expiresAt, '2099-01-01T00:00:00Z');
  assert.equal(item.lastUsedIp, '127.0.0.1');
  assert.ok(!JSON.stringify(got).includes(made.secret), 'never shown again');

  const [errorName, refused] = await one('AppPassword/set', { create: { b: { name: 'Minted' } } }, basic);
  assert.deepEqual([errorName, refused.type], ['error', 'forbidden']);
  const [, listed] = await one('AppPassword/get', {}, basic);
  assert.equal(listed.list.length, 1, 'listing with an app password is allowed');

  const [, changed] = await one('AppPassword/set', { update: { [made.id]: { name: 'Renamed', scopes: ['smtp'] } } });
  assert.deepEqual(changed.notUpdated[made.id].properties, ['scopes'], 'the scope is what the user agreed to');
  const [, renamed] = await one('AppPassword/set', { update: { [made.id]: { name: 'Renamed' } } });
  assert.deepEqual(renamed.updated, { [made.id]: null });
  // The state moved when the password was used (lastUsedAt): a stale one is refused.
  const [stale] = await one('AppPassword/set', { destroy: [made.id], ifInState: got.state });
  assert.equal(stale, 'error');
  const [, current] = await one('AppPassword/get', { ids: [] });
  const [, destroyed] = await one('AppPassword/set', { destroy: [made.id], ifInState: current.state });
  assert.equal(destroyed.oldState, current.state);
  assert.notEqual(destroyed.newState, destroyed.oldState);
  assert.deepEqual(destroyed.destroyed, [made.id]);
  const after = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: basic } });
  assert.equal(after.status, 401);
  await after.body?.cancel();
});

test('bad properties are invalidProperties and name the property', async () => {
  const [, r] = await one('AppPassword/set', { create: { s: { name: 'x', scopes: ['gopher'] }, e: { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, n: { scopes: [] } } });
  assert.deepEqual(r.notCreated.s.properties, ['scopes']);
  assert.equal(r.notCreated.e.type, 'invalidProperties');
  assert.deepEqual(r.notCreated.n.properties, ['name']);
});
