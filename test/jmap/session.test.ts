// Session resource, authentication challenges, request-level problems and enforced limits over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, post, startHarness, USING, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ config: { strategies: ['basic', 'jwt'] } });
});
after(() => h.close());

test('the session resource advertises the enforced limits and the user account', async () => {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic('alice@example.com') } });
  assert.equal(res.status, 200);
  const s = (await res.json()) as Record<string, any>;
  const core = s.capabilities['urn:ietf:params:jmap:core'];
  assert.equal(core.maxSizeRequest, 1_000_000);
  assert.equal(core.maxCallsInRequest, 16);
  assert.ok(core.collationAlgorithms.includes('i;unicode-casemap'));
  assert.equal(s.username, 'alice@example.com');
  // RFC 8620 §1.2: an Id is 1–255 of A-Za-z0-9, "-", "_"; a user name is not one.
  const accountId = s.primaryAccounts['urn:ietf:params:jmap:mail'];
  assert.match(accountId, /^[A-Za-z0-9_-]{1,255}$/);
  assert.deepEqual(Object.keys(s.accounts), [accountId]);
  assert.equal(s.accounts[accountId].name, 'alice@example.com');
  for (const [cap, id] of Object.entries(s.primaryAccounts)) assert.equal(id, accountId, cap);
  assert.equal(s.apiUrl, `${h.url}/jmap`);
  assert.equal(s.downloadUrl, `${h.url}/download/{accountId}/{blobId}/{name}?type={type}`);
  assert.equal(s.capabilities['urn:ietf:params:jmap:websocket'].url, `${h.url.replace('http', 'ws')}/jmap/ws`);
  assert.equal(typeof s.state, 'string');
  const api = await post(h, { using: USING, methodCalls: [] });
  assert.equal(api.body.sessionState, s.state);
});

test('/.well-known/jmap redirects to the session resource', async () => {
  const res = await fetch(`${h.url}/.well-known/jmap`, { redirect: 'manual' });
  assert.ok([301, 302, 307, 308].includes(res.status));
  assert.equal(res.headers.get('location'), '/jmap/session');
});

test('no credentials: 401 with one challenge per enabled strategy', async () => {
  const res = await fetch(`${h.url}/jmap/session`);
  assert.equal(res.status, 401);
  const challenges = res.headers.get('www-authenticate') ?? '';
  assert.match(challenges, /Basic realm="tessera"/);
  assert.match(challenges, /Bearer realm="tessera"/);
});

test('a wrong password is 401, and the body is a problem document', async () => {
  const r = await post(h, { using: USING, methodCalls: [] }, h.basic('alice@example.com', 'nope'));
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('content-type')?.startsWith('application/problem+json'), true);
});

test('request-level problems: notJSON, notRequest, unknownCapability, deep nesting', async () => {
  const notJson = await post(h, '{"using": [');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.type, 'urn:ietf:params:jmap:error:notJSON');
  const notRequest = await post(h, { using: 'core' });
  assert.equal(notRequest.body.type, 'urn:ietf:params:jmap:error:notRequest');
  const unknownCap = await post(h, { using: ['urn:ietf:params:jmap:core', 'urn:example:unknown'], methodCalls: [] });
  assert.equal(unknownCap.body.type, 'urn:ietf:params:jmap:error:unknownCapability');
  const deep = await post(h, `{"using":[],"methodCalls":[],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
  assert.equal(deep.status, 400);
  assert.equal(deep.body.type, 'urn:ietf:params:jmap:error:limit');
});

test('a 10 MB body is refused with the maxSizeRequest limit', async () => {
  const big = JSON.stringify({ using: USING, methodCalls: [['Core/echo', { pad: 'x'.repeat(10 * 1024 * 1024) }, '0']] });
  const r = await post(h, big);
  assert.equal(r.status, 400);
  assert.equal(r.body.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(r.body.limit, 'maxSizeRequest');
});

test('10,000 method calls are refused with the maxCallsInRequest limit', async () => {
  const calls = Array.from({ length: 10_000 }, (_, i) => ['Core/echo', {}, String(i)]);
  const r = await post(h, { using: USING, methodCalls: calls });
  assert.equal(r.status, 400);
  assert.equal(r.body.limit, 'maxCallsInRequest');
});

test('Core/echo and unknownMethod in one request', async () => {
  const responses = await call(h, [
    ['Core/echo', { hello: true, high: 5 }, 'b3ff'],
    ['Foo/bar', {}, 'c2'],
  ]);
  assert.deepEqual(responses, [
    ['Core/echo', { hello: true, high: 5 }, 'b3ff'],
    ['error', { type: 'unknownMethod', description: 'Foo/bar is not a method this server offers under the capabilities in "using"' }, 'c2'],
  ]);
});

test('another account id answers accountNotFound', async () => {
  const bob = await accountIdOf(h, 'bob@example.com');
  const alice = await accountIdOf(h, 'alice@example.com');
  assert.notEqual(bob, alice);
  assert.equal(await accountIdOf(h, 'alice@example.com'), alice, 'the id is stable');
  const r = await call(h, [
    ['Mailbox/get', { accountId: bob }, '0'],
    // The user name is no account id.
    ['Mailbox/get', { accountId: 'alice@example.com' }, '1'],
  ]);
  assert.deepEqual(r.map((x) => x[1]), [{ type: 'accountNotFound' }, { type: 'accountNotFound' }]);
});

test('maxObjectsInGet and maxObjectsInSet answer requestTooLarge; bad argument types invalidArguments', async () => {
  const many = Array.from({ length: 501 }, (_, i) => `e${i}`);
  const alice = await accountIdOf(h);
  const r = await call(h, [
    ['Email/get', { accountId: alice, ids: many }, 'g'],
    ['Email/set', { accountId: alice, destroy: many }, 's'],
    ['Email/get', { accountId: alice, ids: 'e1' }, 'a'],
    ['Email/query', { accountId: alice, limit: -1 }, 'b'],
    ['Mailbox/get', { accountId: alice, properties: ['nope'] }, 'c'],
  ]);
  assert.deepEqual(r.map((x) => [x[0], x[1].type]), [
    ['error', 'requestTooLarge'],
    ['error', 'requestTooLarge'],
    ['error', 'invalidArguments'],
    ['error', 'invalidArguments'],
    ['error', 'invalidArguments'],
  ]);
});
