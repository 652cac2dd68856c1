// The gate between spool files and parsing at ingest: finished messages are admitted in arrival order while the
// bytes being delivered stay within the budget; one larger than the budget goes alone; small ones
// never wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestGate } from '../../src/store/spool/ingest-gate.js';

const MB = 1024 * 1024;

test('large messages take turns within the budget, in arrival order, and small ones pass at once', async () => {
  const gate = new IngestGate(16 * MB, 256 * 1024);
  const order: string[] = [];
  const take = (name: string, size: number): Promise<() => void> =>
    gate.admit(size).then((release) => {
      order.push(name);
      return release;
    });
  const a = await take('a', 10 * MB);
  const b = take('b', 10 * MB); // would exceed 16 MB next to a: waits
  const c = take('c', 1 * MB); // fits, but b came first: waits behind it
  const small = await take('small', 100 * 1024);
  small();
  assert.deepEqual(order, ['a', 'small']);
  assert.equal(gate.admittedBytes, 10 * MB);
  a();
  const releaseB = await b;
  const releaseC = await c;
  assert.deepEqual(order, ['a', 'small', 'b', 'c']);
  assert.equal(gate.admittedBytes, 11 * MB);
  releaseB();
  releaseC();
  releaseC(); // releasing twice changes nothing
  assert.equal(gate.admittedBytes, 0);
  // Larger than the whole budget: admitted when nothing else is in.
  const huge = await take('huge', 40 * MB);
  const next = take('next', 1 * MB);
  assert.equal(gate.admittedBytes, 40 * MB);
  huge();
  (await next)();
  assert.deepEqual(order.slice(-2), ['huge', 'next']);
  assert.equal(gate.admittedBytes, 0);
});
