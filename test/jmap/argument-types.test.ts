// Every method the server offers, called with a wrong-typed value for each of its arguments (as
// RFC 8620 §5 and RFC 8621 type them), answers invalidArguments: never serverFail, never a
// half-done call. The table below is written from the RFCs, independently of the server's schemas.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, post, startHarness, USING, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { METHOD_ARGUMENTS } from '../../src/jmap/methods/schemas.js';
import { MAX_FILTER_NODES } from '../../src/jmap/mail/query-filter.js';

const ALICE = 'alice@example.com';
const USING_ALL = [...USING, 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:quota', 'urn:ietf:params:jmap:vacationresponse'];
USING_ALL.push('urn:ietf:params:jmap:blob', 'urn:ietf:params:jmap:sieve', 'urn:tessera:app-passwords', 'urn:ietf:params:jmap:principals');

type RfcType = 'Id' | 'String' | 'Boolean' | 'Int' | 'UnsignedInt' | 'PositiveInt' | 'Id[]' | 'String[]' | 'Object' | 'Object[]';

/** Values that are not of the type (JSON null aside, which optional arguments accept). */
const WRONG: Record<RfcType, unknown[]> = {
  Id: [42, true, {}, ['x'], ''],
  String: [42, false, {}, ['x']],
  Boolean: ['true', 1, {}, []],
  Int: ['1', 1.5, true, {}, []],
  UnsignedInt: [-1, '1', 2.5, {}, []],
  PositiveInt: [0, -3, '5', {}],
  'Id[]': ['x', {}, [1], [null], 7],
  'String[]': ['x', {}, [1], [{}], true],
  Object: ['x', [], 42, true],
  'Object[]': ['x', {}, [1], ['x']],
};

type Args = Record<string, RfcType>;
const GET: Args = { accountId: 'Id', ids: 'Id[]', properties: 'String[]' };
const CHANGES: Args = { accountId: 'Id', sinceState: 'String', maxChanges: 'PositiveInt' };
const SET: Args = { accountId: 'Id', ifInState: 'String', create: 'Object', update: 'Object', destroy: 'Id[]' };
const QUERY: Args = { accountId: 'Id', filter: 'Object', sort: 'Object[]', position: 'Int', anchor: 'Id', anchorOffset: 'Int', limit: 'UnsignedInt', calculateTotal: 'Boolean' };
const QUERY_CHANGES: Args = { accountId: 'Id', filter: 'Object', sort: 'Object[]', sinceQueryState: 'String', maxChanges: 'PositiveInt', upToId: 'Id', calculateTotal: 'Boolean' };
const BODY: Args = { bodyProperties: 'String[]', fetchTextBodyValues: 'Boolean', fetchHTMLBodyValues: 'Boolean', fetchAllBodyValues: 'Boolean', maxBodyValueBytes: 'UnsignedInt' };

/** Method → its arguments' types, and the required arguments a well-formed call carries. */
const METHODS: Record<string, { args: Args; base?: Record<string, unknown> }> = {
  'Mailbox/get': { args: GET },
  'Mailbox/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Mailbox/query': { args: { ...QUERY, sortAsTree: 'Boolean', filterAsTree: 'Boolean' } },
  'Mailbox/queryChanges': { args: QUERY_CHANGES, base: { sinceQueryState: 'x' } },
  'Mailbox/set': { args: { ...SET, onDestroyRemoveEmails: 'Boolean' } },
  'Thread/get': { args: GET, base: { ids: [] } },
  'Thread/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Email/get': { args: { ...GET, ...BODY }, base: { ids: [] } },
  'Email/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Email/query': { args: { ...QUERY, collapseThreads: 'Boolean' } },
  'Email/queryChanges': { args: { ...QUERY_CHANGES, collapseThreads: 'Boolean' }, base: { sinceQueryState: 'x' } },
  'Email/set': { args: SET },
  'Email/copy': {
    args: { fromAccountId: 'Id', ifFromInState: 'String', accountId: 'Id', ifInState: 'String', create: 'Object', onSuccessDestroyOriginal: 'Boolean', destroyFromIfInState: 'String' },
    base: { fromAccountId: 'bob@example.com', create: {} },
  },
  'Email/import': { args: { accountId: 'Id', ifInState: 'String', emails: 'Object' }, base: { emails: {} } },
  'Email/parse': { args: { accountId: 'Id', blobIds: 'Id[]', properties: 'String[]', ...BODY }, base: { blobIds: [] } },
  'SearchSnippet/get': { args: { accountId: 'Id', filter: 'Object', emailIds: 'Id[]' }, base: { emailIds: [] } },
  'Identity/get': { args: GET },
  'Identity/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Identity/set': { args: SET },
  'EmailSubmission/get': { args: GET },
  'EmailSubmission/changes': { args: CHANGES, base: { sinceState: '0' } },
  'EmailSubmission/query': { args: QUERY },
  'EmailSubmission/queryChanges': { args: QUERY_CHANGES, base: { sinceQueryState: 'x' } },
  'EmailSubmission/set': { args: { ...SET, onSuccessUpdateEmail: 'Object', onSuccessDestroyEmail: 'Id[]' } },
  'VacationResponse/get': { args: GET },
  'VacationResponse/set': { args: SET },
  'Quota/get': { args: GET },
  'Quota/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Quota/query': { args: QUERY },
  'Quota/queryChanges': { args: QUERY_CHANGES, base: { sinceQueryState: 'x' } },
  /** RFC 9670 §3: Principal is a standard type (no /set here). */
  'Principal/get': { args: GET },
  'Principal/changes': { args: CHANGES, base: { sinceState: '0' } },
  'Principal/query': { args: QUERY },
  'Principal/queryChanges': { args: QUERY_CHANGES, base: { sinceQueryState: 'x' } },
  /** RFC 9670 §5 */
  'ShareNotification/get': { args: GET },
  'ShareNotification/changes': { args: CHANGES, base: { sinceState: '0' } },
  'ShareNotification/query': { args: QUERY },
  'ShareNotification/queryChanges': { args: QUERY_CHANGES, base: { sinceQueryState: 'x' } },
  'ShareNotification/set': { args: SET },
  // RFC 8620 §7.2.1–7.2.2: no accountId (the one every call here carries is ignored), no ifInState.
  'PushSubscription/get': { args: { ids: 'Id[]', properties: 'String[]' } },
  'PushSubscription/set': { args: { create: 'Object', update: 'Object', destroy: 'Id[]' } },
  /** Tessera's urn:tessera:app-passwords: a standard /get and /set. */
  'AppPassword/get': { args: GET },
  'AppPassword/set': { args: SET },
  /** RFC 8620 §6.3 */
  'Blob/copy': { args: { fromAccountId: 'Id', accountId: 'Id', blobIds: 'Id[]' }, base: { fromAccountId: 'bob@example.com', blobIds: [] } },
  /** RFC 9404 §4.1–4.3 */
  'Blob/upload': { args: { accountId: 'Id', create: 'Object' } },
  'Blob/get': { args: { ...GET, offset: 'UnsignedInt', length: 'UnsignedInt' }, base: { ids: [] } },
  'Blob/lookup': { args: { accountId: 'Id', typeNames: 'String[]', ids: 'Id[]' }, base: { typeNames: [], ids: [] } },
  /** RFC 9661 §2.3–2.6 */
  'SieveScript/get': { args: GET },
  'SieveScript/changes': { args: CHANGES, base: { sinceState: '0' } },
  'SieveScript/set': { args: { ...SET, onSuccessActivateScript: 'Id', onSuccessDeactivateScript: 'Boolean' } },
  'SieveScript/query': { args: QUERY },
  'SieveScript/validate': { args: { accountId: 'Id', blobId: 'Id' }, base: { blobId: 'x' } },
};

let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
before(async () => {
  h = await startHarness({ delivery: localDelivery });
  ALICE_ID = await accountIdOf(h);
});
after(() => h.close());

test('the table covers every method the server registers (Core/echo takes anything)', () => {
  assert.deepEqual(Object.keys(METHODS).sort(), Object.keys(METHOD_ARGUMENTS).filter((m) => m !== 'Core/echo').sort());
});

for (const [method, { args, base }] of Object.entries(METHODS)) {
  test(`${method}: a wrong-typed value for any argument is invalidArguments`, async () => {
    const calls: Array<[string, Record<string, unknown>, string]> = [];
    for (const [name, type] of Object.entries(args)) {
      for (const [i, wrong] of WRONG[type].entries()) {
        calls.push([method, { accountId: ALICE_ID, ...base, [name]: wrong }, `${name}:${i}`]);
      }
    }
    // Every answer that is not invalidArguments, so one run names them all.
    const wrongAnswers: string[] = [];
    for (let i = 0; i < calls.length; i += 16) {
      const responses = await call(h, calls.slice(i, i + 16) as never, USING_ALL);
      for (const [name, result, id] of responses) {
        const sent = calls.find((c) => c[2] === id)!;
        const arg = id.split(':')[0]!;
        const type = (result as { type?: string }).type;
        if (name !== 'error' || type !== 'invalidArguments') wrongAnswers.push(`${arg}=${JSON.stringify(sent[1][arg])} → ${name} ${JSON.stringify(result).slice(0, 80)}`);
      }
    }
    assert.deepEqual(wrongAnswers, []);
  });
}

test('a well-formed call of every method is not invalidArguments', async () => {
  const calls = Object.entries(METHODS).map(([m, { base }]) => [m, { accountId: ALICE_ID, ...base }, m] as [string, Record<string, unknown>, string]);
  for (let i = 0; i < calls.length; i += 16) {
    for (const [name, result, id] of await call(h, calls.slice(i, i + 16) as never, USING_ALL)) {
      if (name === 'error') assert.notEqual((result as { type: string }).type, 'invalidArguments', `${id}: ${JSON.stringify(result)}`);
      assert.notEqual((result as { type?: string }).type, 'serverFail', `${id}: ${JSON.stringify(result)}`);
    }
  }
});

test('negative position counts from the end and is not refused (RFC 8620 §5.5); negative limit is', async () => {
  const r = await call(h, [
    ['Mailbox/query', { accountId: ALICE_ID, position: -2 }, 'p'],
    ['Mailbox/query', { accountId: ALICE_ID, limit: -1 }, 'l'],
  ]);
  assert.equal(r[0]![0], 'Mailbox/query');
  assert.equal((r[0]![1] as { ids: string[] }).ids.length, 2);
  assert.deepEqual([r[1]![0], r[1]![1].type], ['error', 'invalidArguments']);
});

test('a mailbox name that is not Net-Unicode (a lone surrogate, a control character) is invalidProperties, not stored', async () => {
  const [[, res]] = (await call(h, [
    ['Mailbox/set', { accountId: ALICE_ID, create: { a: { name: 'bad\ud800name' }, b: { name: 'tab\there' }, c: { name: 'Fine' } } }, 's'],
  ])) as [string, any, string][];
  assert.equal(res.notCreated.a.type, 'invalidProperties');
  assert.equal(res.notCreated.b.type, 'invalidProperties');
  assert.ok(res.created.c.id);
});

test('Email/query: a filter wider than the bound is unsupportedFilter; one at the bound is answered', async () => {
  // (Depth needs no test of its own here: the request's JSON nesting limit, 64 levels, is reached
  // before MAX_FILTER_DEPTH operators are; see the next test.)
  const wide = (n: number, operator = 'OR'): unknown => ({ operator, conditions: Array.from({ length: n }, (_, i) => ({ subject: `s${i}` })) });
  const r = await call(h, [
    ['Email/query', { accountId: ALICE_ID, filter: wide(20_000) }, 'wide'],
    ['Email/query', { accountId: ALICE_ID, filter: wide(MAX_FILTER_NODES - 1) }, 'atWidth'],
    ['Email/query', { accountId: ALICE_ID, filter: wide(MAX_FILTER_NODES - 1, 'AND') }, 'atWidthAnd'],
    ['SearchSnippet/get', { accountId: ALICE_ID, emailIds: [], filter: wide(20_000) }, 'snippets'],
  ]);
  assert.deepEqual([r[0]![0], r[0]![1].type], ['error', 'unsupportedFilter']);
  assert.match(String(r[0]![1].description), /more than 1000/);
  for (const i of [1, 2]) assert.equal(r[i]![0], 'Email/query', JSON.stringify(r[i]));
  assert.deepEqual([r[3]![0], r[3]![1].type], ['error', 'unsupportedFilter']);
});

test('a request nested 10,000 deep is refused as a whole (maxDepth), not by a stack overflow', async () => {
  const filter = '{"operator":"NOT","conditions":['.repeat(10_000) + '{"subject":"x"}' + ']}'.repeat(10_000);
  const body = `{"using":${JSON.stringify(USING)},"methodCalls":[["Email/query",{"accountId":"${ALICE_ID}","filter":${filter}},"q"]]}`;
  const r = await post(h, body);
  assert.equal(r.status, 400);
  assert.equal(r.body.limit, 'maxDepth');
});
