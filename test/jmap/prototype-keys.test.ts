// Names a client chooses (property names, sort properties, filter keys, patch paths, method names,
// capabilities) that happen to be Object.prototype's own names ("__proto__", "constructor", …) are
// names like any other: a server that looks them up in a plain object finds a function there and
// fails. Every method, given such names wherever it takes a name, answers a normal response or a
// request-level error; never serverFail, never an HTTP 5xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, post, startHarness, USING, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { METHOD_ARGUMENTS } from '../../src/jmap/methods/schemas.js';

const USING_ALL = [...USING, 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:quota', 'urn:ietf:params:jmap:vacationresponse'];
USING_ALL.push('urn:ietf:params:jmap:blob', 'urn:ietf:params:jmap:sieve', 'urn:tessera:app-passwords');
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

let h: Harness;
let aliceId: string;
let emailId: string;
before(async () => {
  h = await startHarness({ delivery: localDelivery });
  aliceId = await accountIdOf(h);
  const [[, boxes]] = (await call(h, [['Mailbox/get', { accountId: aliceId, properties: ['role'] }, 'm']])) as [[string, { list: Array<{ id: string; role: string | null }> }, string]];
  const inbox = boxes.list.find((b) => b.role === 'inbox')!.id;
  const [[, created]] = (await call(h, [['Email/set', { accountId: aliceId, create: { e: { mailboxIds: { [inbox]: true }, subject: 'proto', bodyValues: { b: { value: 'hi' } }, textBody: [{ partId: 'b', type: 'text/plain' }] } } }, 'c']])) as [[string, { created: Record<string, { id: string }> }, string]];
  emailId = created.created['e']!.id;
});
after(() => h.close());

function serverFails(responses: Array<[string, Record<string, unknown>, string]>): string[] {
  return responses.filter(([name, r]) => name === 'error' && r['type'] === 'serverFail').map(([, r, id]) => `${id}: ${JSON.stringify(r).slice(0, 160)}`);
}

test('prototype names as properties, sort keys, filter keys and patch paths never make a method fail', async () => {
  const failures: string[] = [];
  for (const method of Object.keys(METHOD_ARGUMENTS)) {
    const calls: Array<[string, Record<string, unknown>, string]> = [];
    for (const [i, n] of NAMES.entries()) {
      const base = { accountId: aliceId };
      calls.push([method, { ...base, ids: [emailId, n], properties: [n], bodyProperties: [n] }, `props:${i}`]);
      calls.push([method, { ...base, sort: [{ property: n }], filter: JSON.parse(`{"${n}": "x"}`) }, `query:${i}`]);
      calls.push([method, { ...base, filter: { operator: 'AND', conditions: [JSON.parse(`{"${n}": 1}`)] } }, `filter:${i}`]);
      calls.push([method, { ...base, create: JSON.parse(`{"k": {"${n}": 1}}`), update: JSON.parse(`{"${emailId}": {"${n}": 1, "keywords/${n}": true, "mailboxIds/${n}": true}}`) }, `set:${i}`]);
      calls.push([method, { ...base, create: JSON.parse(`{"${n}": {}}`) }, `creation-id:${i}`]);
    }
    for (let i = 0; i < calls.length; i += 16) {
      const responses = await call(h, calls.slice(i, i + 16) as never, USING_ALL);
      failures.push(...serverFails(responses as never).map((f) => `${method} ${f}`));
    }
  }
  assert.deepEqual(failures, []);
});

test('prototype names as method names and capabilities are unknownMethod / unknownCapability', async () => {
  for (const n of NAMES) {
    const r = await post(h, { using: USING, methodCalls: [[n, {}, 'a'], [`Email/${n}`, {}, 'b'], [`${n}/get`, {}, 'c']] });
    assert.equal(r.status, 200, `${n}: ${JSON.stringify(r.body)}`);
    const answers = (r.body as { methodResponses: Array<[string, { type: string }, string]> }).methodResponses;
    for (const [name, body, id] of answers) assert.deepEqual([name, body.type], ['error', 'unknownMethod'], `${n} (${id})`);
    const c = await post(h, { using: [...USING, n], methodCalls: [] });
    assert.equal(c.status, 400, `using ${n}`);
    assert.match(JSON.stringify(c.body), /unknownCapability/);
  }
});
