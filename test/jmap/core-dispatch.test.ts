// The pure request processor: capabilities, limits, result references, creation ids, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processRequest, type DispatchOptions } from '../../src/jmap/core/dispatch.js';
import { evaluatePointer, resolveReferences } from '../../src/jmap/core/references.js';
import { jsonDepth, parseJsonBody, toJmapRequest } from '../../src/jmap/core/parse.js';
import { coreMethods } from '../../src/jmap/methods/core.js';
import { MethodError, RequestProblem } from '../../src/jmap/errors.js';
import type { MethodDefinition } from '../../src/jmap/core/types.js';
import { silentLogger } from '../../src/log/logger.js';

const CORE = 'urn:ietf:params:jmap:core';
const principal = { user: 'alice@example.com', mechanism: 'BASIC' };

function options(extra: Array<[string, MethodDefinition]> = []): DispatchOptions {
  return {
    registry: new Map([...coreMethods(), ...extra]),
    capabilities: new Set([CORE, 'urn:ietf:params:jmap:mail']),
    maxCallsInRequest: 16,
    logger: silentLogger(),
  };
}

test('Core/echo returns its arguments and the session state', async () => {
  const res = await processRequest(
    { using: [CORE], methodCalls: [['Core/echo', { hello: true, high: 5 }, 'b3ff']] },
    principal,
    () => 'st1',
    options(),
  );
  assert.deepEqual(res, { methodResponses: [['Core/echo', { hello: true, high: 5 }, 'b3ff']], sessionState: 'st1' });
});

test('an unknown capability in using is a request-level problem', async () => {
  await assert.rejects(
    processRequest({ using: [CORE, 'urn:example:nope'], methodCalls: [] }, principal, () => 's', options()),
    (err: unknown) => err instanceof RequestProblem && err.toJSON().type === 'urn:ietf:params:jmap:error:unknownCapability',
  );
});

test('more calls than maxCallsInRequest is a limit problem naming the limit', async () => {
  const calls = Array.from({ length: 10_000 }, (_, i) => ['Core/echo', {}, `c${i}`] as [string, {}, string]);
  await assert.rejects(processRequest({ using: [CORE], methodCalls: calls }, principal, () => 's', options()), (err: unknown) => {
    assert.ok(err instanceof RequestProblem);
    assert.deepEqual({ type: err.toJSON().type, limit: err.toJSON().limit, status: err.status }, {
      type: 'urn:ietf:params:jmap:error:limit',
      limit: 'maxCallsInRequest',
      status: 400,
    });
    return true;
  });
});

test('unknown methods and methods whose capability is not in using answer unknownMethod', async () => {
  const mail: MethodDefinition = { capability: 'urn:ietf:params:jmap:mail', handler: async () => [['Mailbox/get', {}]] };
  const res = await processRequest(
    { using: [CORE], methodCalls: [['Foo/bar', {}, 'a'], ['Mailbox/get', {}, 'b']] },
    principal,
    () => 's',
    options([['Mailbox/get', mail]]),
  );
  assert.deepEqual(res.methodResponses.map((r) => [r[0], r[1].type, r[2]]), [
    ['error', 'unknownMethod', 'a'],
    ['error', 'unknownMethod', 'b'],
  ]);
});

test('result references resolve against earlier responses, with * flattening', async () => {
  const responses: Array<[string, Record<string, unknown>, string]> = [
    ['Thread/get', { list: [{ id: 't1', emailIds: ['e1', 'e2'] }, { id: 't2', emailIds: ['e3'] }] }, 't2'],
  ];
  const args = resolveReferences(
    { accountId: 'A1', '#ids': { resultOf: 't2', name: 'Thread/get', path: '/list/*/emailIds' } },
    responses as never,
  );
  assert.deepEqual(args, { accountId: 'A1', ids: ['e1', 'e2', 'e3'] });
  assert.deepEqual(evaluatePointer({ 'a/b': { '~': 1 } }, '/a~1b/~0'), 1);
});

test('bad result references answer invalidResultReference; both forms answer invalidArguments', async () => {
  const res = await processRequest(
    {
      using: [CORE],
      methodCalls: [
        ['Core/echo', { list: [1] }, 'c0'],
        ['Core/echo', { '#x': { resultOf: 'nope', name: 'Core/echo', path: '/list' } }, 'c1'],
        ['Core/echo', { '#x': { resultOf: 'c0', name: 'Email/get', path: '/list' } }, 'c2'],
        ['Core/echo', { '#x': { resultOf: 'c0', name: 'Core/echo', path: '/missing' } }, 'c3'],
        ['Core/echo', { '#x': 'not a reference' }, 'c4'],
        ['Core/echo', { x: 1, '#x': { resultOf: 'c0', name: 'Core/echo', path: '/list' } }, 'c5'],
        ['Core/echo', { '#x': { resultOf: 'c0', name: 'Core/echo', path: '/list/0' } }, 'c6'],
      ],
    },
    principal,
    () => 's',
    options(),
  );
  assert.deepEqual(res.methodResponses.map((r) => (r[0] === 'error' ? r[1].type : r[1])), [
    { list: [1] },
    'invalidResultReference',
    'invalidResultReference',
    'invalidResultReference',
    'invalidResultReference',
    'invalidArguments',
    { x: 1 },
  ]);
});

test('creation ids passed in are returned, and a method error does not stop later calls', async () => {
  const failing: MethodDefinition = {
    capability: CORE,
    handler: async () => {
      throw new MethodError('stateMismatch');
    },
  };
  const creating: MethodDefinition = {
    capability: CORE,
    handler: async (_a, ctx) => {
      ctx.createdIds.set('k1', 'id-1');
      return [['Foo/set', { created: { k1: { id: 'id-1' } } }]];
    },
  };
  const res = await processRequest(
    { using: [CORE], methodCalls: [['Foo/fail', {}, '0'], ['Foo/set', {}, '1']], createdIds: { k0: 'id-0' } },
    principal,
    () => 's',
    options([['Foo/fail', failing], ['Foo/set', creating]]),
  );
  assert.deepEqual(res.methodResponses[0], ['error', { type: 'stateMismatch' }, '0']);
  assert.deepEqual(res.createdIds, { k0: 'id-0', k1: 'id-1' });
});

test('a handler crash is serverFail, not a thrown request', async () => {
  const crashing: MethodDefinition = {
    capability: CORE,
    handler: async () => {
      throw new TypeError('boom');
    },
  };
  const res = await processRequest({ using: [CORE], methodCalls: [['X/y', {}, 'a']] }, principal, () => 's', options([['X/y', crashing]]));
  assert.equal(res.methodResponses[0]?.[1].type, 'serverFail');
});

test('request parsing: notJSON, notRequest, deep nesting', () => {
  const kind = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof RequestProblem);
      return `${err.problemType}${err.limit ? ':' + err.limit : ''}`;
    }
  };
  assert.equal(kind(() => parseJsonBody(Buffer.from('{"using":'), 64)), 'notJSON');
  assert.equal(kind(() => parseJsonBody(Buffer.from('[1,2] x'), 64)), 'notJSON');
  assert.equal(kind(() => parseJsonBody(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), 64)), 'limit:maxDepth');
  assert.equal(jsonDepth('{"a":"[[[[[[["}', 64), 1);
  assert.equal(kind(() => toJmapRequest([])), 'notRequest');
  assert.equal(kind(() => toJmapRequest({ using: 'x', methodCalls: [] })), 'notRequest');
  assert.equal(kind(() => toJmapRequest({ using: [], methodCalls: [['a', [], 'c']] })), 'notRequest');
  assert.equal(kind(() => toJmapRequest({ using: [], methodCalls: [['a', {}, 'c']] })), 'ok');
});
