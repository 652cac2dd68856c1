// The receiving side of the cluster wire (src/store/postgres/event-wire.ts): with a reorder window,
// numbers that arrive out of order (transactions commit in another order than they numbered) are
// delivered without a resync, a number still missing when its window is over is reported once, and
// stand-in payloads fill the numbers of writes that did not commit. Without a window (an ordered
// channel) a gap is reported at once, as before. Times are given explicitly: no clock is waited on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { packPayloads, PayloadSequencer, standInPayload, type Received } from '../../src/store/postgres/event-wire.js';

const payload = (node: string, seq: number, email = String(seq)): string => {
  let n = seq - 1;
  const [text] = packPayloads(node, [{ type: 'state-changed', account: 'a', changed: { Email: email } }], () => ++n);
  return text!;
};
const kinds = (rs: Received[]): string[] => rs.map((r) => (r.kind === 'deliver' ? `deliver${r.missed ? ' missed' : ''}` : r.kind));

describe('PayloadSequencer', () => {
  it('without a window reports a gap at once and skips repeats and own payloads', () => {
    const s = new PayloadSequencer('me');
    const got = [payload('x', 1), payload('x', 1), payload('x', 3), payload('x', 2), payload('me', 9)].map((p) => s.accept(p, 0));
    assert.deepEqual(kinds(got), ['deliver', 'duplicate', 'deliver missed', 'duplicate', 'own']);
    assert.deepEqual((got[2] as { missed: unknown }).missed, { from: 'x', expected: 2, got: 3 });
    assert.equal(s.nextDeadline(), undefined);
  });

  it('with a window delivers numbers that arrive out of order and reports nothing', () => {
    const s = new PayloadSequencer('me', 1000);
    const got = [1, 4, 2, 3, 3, 5].map((n) => s.accept(payload('x', n), 100 + n));
    assert.deepEqual(kinds(got), ['deliver', 'deliver', 'deliver', 'deliver', 'duplicate', 'deliver']);
    assert.equal(s.nextDeadline(), undefined);
    assert.deepEqual(s.expire(10_000), []);
  });

  it('delivers numbers lower than the first one seen while the window lasts', () => {
    const s = new PayloadSequencer('me', 1000);
    assert.deepEqual(kinds([s.accept(payload('x', 7), 0), s.accept(payload('x', 6), 500), s.accept(payload('x', 6), 600), s.accept(payload('x', 5), 1500)]), [
      'deliver',
      'deliver',
      'duplicate',
      'duplicate',
    ]);
  });

  it('reports a number still missing when its window is over, once, as one run', () => {
    const s = new PayloadSequencer('me', 1000);
    s.accept(payload('x', 1), 0);
    s.accept(payload('x', 5), 10);
    s.accept(payload('x', 3), 20);
    assert.equal(s.nextDeadline(), 1010);
    assert.deepEqual(s.expire(1009), []);
    assert.deepEqual(s.expire(1010), [
      { from: 'x', expected: 2, got: 3 },
      { from: 'x', expected: 4, got: 5 },
    ]);
    assert.deepEqual(s.expire(5000), []);
    assert.equal(s.accept(payload('x', 2), 5001).kind, 'duplicate', 'too late: the receiver resynced instead');
  });

  it('takes a stand-in for a number: nothing to deliver, no gap', () => {
    const s = new PayloadSequencer('me', 1000);
    s.accept(payload('x', 1), 0);
    s.accept(payload('x', 3), 1);
    const standIn = s.accept(standInPayload('x', 2, []), 2);
    assert.deepEqual(standIn, { kind: 'deliver', node: 'x', items: [] });
    const unknown = s.accept(standInPayload('x', 4, [{ type: 'resync', account: 'a', reason: 'commit outcome unknown' }]), 3);
    assert.deepEqual(unknown, { kind: 'deliver', node: 'x', items: [{ type: 'resync', account: 'a', reason: 'commit outcome unknown' }] });
    assert.equal(s.nextDeadline(), undefined);
  });

  it('reports a gap too wide to be reordering at once', () => {
    const s = new PayloadSequencer('me', 1000);
    s.accept(payload('x', 1), 0);
    const got = s.accept(payload('x', 5000), 1);
    assert.deepEqual(kinds([got]), ['deliver missed']);
    assert.equal(s.nextDeadline(), undefined);
  });
});
