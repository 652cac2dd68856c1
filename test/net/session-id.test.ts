// Session ids come from a pool of random bytes refilled as it runs out: ids stay 12 hex digits and
// distinct across refills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSessionId } from '../../src/net/session-id.js';

test('session ids are 12 hex digits and do not repeat across refills of the random pool', () => {
  const ids = Array.from({ length: 5000 }, () => newSessionId());
  for (const id of ids) assert.match(id, /^[0-9a-f]{12}$/);
  assert.equal(new Set(ids).size, ids.length);
});
