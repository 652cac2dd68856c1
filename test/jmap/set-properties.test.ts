// The /set property rules as pure functions: which properties a create or a patch may name, and
// when repeating a server-set or immutable value is allowed (RFC 8620 §5.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SetFailure, setError } from '../../src/jmap/errors.js';
import type { Json } from '../../src/jmap/core/types.js';
import { checkCreate, checkUpdate, patchProperty, PropertyErrors, sameJson, updateViolations, type SetPropertyRules } from '../../src/jmap/methods/set-properties.js';

const RULES: SetPropertyRules = { serverSet: ['id', 'count'], immutable: (p) => p === 'from' || p.startsWith('header:'), mutable: ['name', 'tags'] };
const CURRENT: Record<string, Json> = { id: 'x1', count: 3, from: [{ name: null, email: 'a@example.com' }], name: 'n', tags: {} };
const current = async (id: string): Promise<Record<string, Json> | undefined> => (id === 'x1' ? CURRENT : undefined);

async function refusal(work: () => unknown): Promise<SetFailure['error']> {
  try {
    await work();
  } catch (err) {
    if (err instanceof SetFailure) return err.error;
    throw err;
  }
  assert.fail('expected a SetError');
}

test('a create naming server-set or unknown properties lists each of them once', async () => {
  const e = await refusal(() => checkCreate(RULES, { id: 'a', count: 1, colour: 'red', name: 'ok', from: [], 'header:X-A': 'v' }));
  assert.deepEqual([e.type, e.properties], ['invalidProperties', ['id', 'count', 'colour']]);
});

test('an update may repeat current server-set and immutable values, which are then dropped from the patch', async () => {
  const patch = { id: 'x1', count: 3, from: [{ email: 'a@example.com', name: null }], 'from/0/email': 'a@example.com', name: 'new', 'tags/a': true };
  assert.deepEqual(await checkUpdate(RULES, 'x1', patch, current), { name: 'new', 'tags/a': true });
});

test('an update changing server-set or immutable values names each property once, pointers included', async () => {
  const e = await refusal(() => checkUpdate(RULES, 'x1', { count: 4, 'from/0/email': 'b@example.com', 'from/0/name': 'B', nope: 1 }, current));
  assert.deepEqual([e.type, [...(e.properties ?? [])].sort()], ['invalidProperties', ['count', 'from', 'nope']]);
});

test('an update repeating fixed values of an object that does not exist is notFound', async () => {
  assert.equal((await refusal(() => checkUpdate(RULES, 'gone', { id: 'gone' }, current))).type, 'notFound');
});

test('an update with only mutable properties does not read the current object', async () => {
  const never = async (): Promise<undefined> => assert.fail('current object read');
  assert.deepEqual(await checkUpdate(RULES, 'x1', { name: 'a' }, never), { name: 'a' });
});

test('patch keys name their property; JSON equality ignores key order only', () => {
  assert.equal(patchProperty('keywords/$seen'), 'keywords');
  assert.equal(patchProperty('name'), 'name');
  assert.ok(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }));
  assert.ok(!sameJson([1, 2], [2, 1]));
  assert.ok(!sameJson({ a: 1 }, { a: 1, b: undefined as unknown as Json }));
  assert.ok(!sameJson(null, {}));
});

test('RFC 8620 §5.3 PropertyErrors: one invalidProperties SetError naming every recorded property once; other SetErrors pass through', async () => {
  const errors = new PropertyErrors();
  assert.ok(errors.empty);
  errors.check();
  errors.add(['id', 'count']);
  assert.equal(errors.read(() => { throw setError('invalidProperties', 'bad name', { properties: ['name', 'id'] }); }), undefined);
  assert.equal(await errors.readAsync(async () => 5), 5);
  assert.throws(() => errors.read(() => { throw setError('notFound'); }), (e: unknown) => e instanceof SetFailure && e.error.type === 'notFound');
  const e = await refusal(() => errors.check());
  assert.deepEqual([e.type, e.properties, e.description], ['invalidProperties', ['id', 'count', 'name'], 'bad name']);
});

test('RFC 8620 §5.3 updateViolations: the patch keeps only mutable entries, and every refused property is returned', async () => {
  const r = await updateViolations(RULES, 'x1', { id: 'x1', count: 4, nope: 1, name: 'n2', 'from/0/email': 'b@example.com' }, current);
  assert.deepEqual(r.kept, { name: 'n2' });
  assert.deepEqual([...r.bad].sort(), ['count', 'from', 'nope']);
});
