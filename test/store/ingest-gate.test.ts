// The gate between spool files and parsing at ingest: finished messages are admitted in arrival order while the
// bytes being delivered stay within the budget; one larger than the budget goes alone; small ones
// never wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestGate, PARSE_PEAK_FACTOR, sharedIngestGate } from '../../src/store/spool/ingest-gate.js';
import { admitIngest } from '../../src/store/ingest.js';

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

test('the gate charges a message its memory factor, but lets a small one pass on its own size', async () => {
  const gate = new IngestGate(16 * MB, 256 * 1024);
  const small = await gate.admit(200 * 1024, 4); // 800 KiB at its peak, still a small message
  assert.equal(gate.admittedBytes, 0);
  small();
  const a = await gate.admit(3 * MB, 4);
  assert.equal(gate.admittedBytes, 12 * MB);
  let bIn = false;
  const b = gate.admit(3 * MB, 4).then((release) => {
    bIn = true;
    return release;
  });
  await new Promise((resolve) => setImmediate(resolve)); // every settled admission has run by now
  assert.equal(bIn, false, '12 + 12 MB exceed the 16 MB budget: the second waits though 3 + 3 MB would fit');
  a();
  (await b)();
  assert.equal(gate.admittedBytes, 0);
  assert.equal(gate.peakAdmittedBytes, 12 * MB);
});

test('admitIngest charges spooled and stored sources at the parse peak, never the buffers a caller already holds', async () => {
  const budget = sharedIngestGate.budget;
  sharedIngestGate.setBudget(16 * MB);
  try {
    const release = await admitIngest([{ blob: 'a', size: 2 * MB }, Buffer.alloc(1024), { blob: 'b', size: 1 * MB }]);
    assert.equal(sharedIngestGate.admittedBytes, 3 * MB * PARSE_PEAK_FACTOR);
    let next = false;
    const waiting = admitIngest([{ blob: 'c', size: 2 * MB }]).then((r) => {
      next = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve)); // every settled admission has run by now
    assert.equal(next, 16 * MB - 3 * MB * PARSE_PEAK_FACTOR >= 2 * MB * PARSE_PEAK_FACTOR);
    release();
    (await waiting)();
    assert.equal(sharedIngestGate.admittedBytes, 0);
  } finally {
    sharedIngestGate.setBudget(budget);
  }
});
