// RFC 8620 §5.5 limit: "The server MAY choose to enforce a maximum limit argument. In this case, if
// a greater value is given (or if it is null), the limit is clamped to the maximum; the new limit is
// returned with the response so the client is aware. If a negative value is given, the call MUST be
// rejected with an invalidArguments error."
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyWindow, queryResponse, readLimit } from '../../src/jmap/methods/window.js';
import { MethodError } from '../../src/jmap/errors.js';
import { jmapAccount } from '../../src/jmap/account-id.js';
import type { JsonObject } from '../../src/jmap/core/types.js';

const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
const account = jmapAccount('alice@example.com');

test('no limit or one above the maximum is clamped to it and the response says limit', () => {
  for (const args of [{}, { limit: null }, { limit: 7 }] as JsonObject[]) {
    const limit = readLimit(args, 3);
    assert.deepEqual(limit, { limit: 3, clamped: true });
    const w = applyWindow(ids, args, limit);
    assert.deepEqual(w.ids, ['m0', 'm1', 'm2']);
    const out = queryResponse(account, args, limit, { ...w, queryState: 's', canCalculateChanges: false, total: ids.length });
    assert.equal(out.limit, 3);
    assert.equal('total' in out, false);
  }
});

test('a limit within the maximum is used as given and not echoed', () => {
  const limit = readLimit({ limit: 2 }, 3);
  assert.deepEqual(limit, { limit: 2, clamped: false });
  const args = { limit: 2, position: 8, calculateTotal: true };
  const w = applyWindow(ids, args, limit);
  assert.deepEqual(w, { ids: ['m8', 'm9'], position: 8 });
  const out = queryResponse(account, args, limit, { ...w, queryState: 's', canCalculateChanges: false, total: ids.length });
  assert.equal('limit' in out, false);
  assert.equal(out.total, 10);
});

test('a negative limit is invalidArguments', () => {
  assert.throws(() => readLimit({ limit: -1 }, 3), (e: unknown) => e instanceof MethodError && e.type === 'invalidArguments');
});
