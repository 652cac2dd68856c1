import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TtlCache } from '../../src/auth/ldap/cache.js';

describe('lookup cache', () => {
  it('forgets an answer once its time to live has passed', () => {
    let now = 1_000;
    const cache = new TtlCache<string | null>(500, 10, () => now);
    cache.set('alice', 'uid=alice');
    cache.set('nobody', null);
    now += 499;
    assert.deepEqual(cache.get('alice'), { value: 'uid=alice' });
    assert.deepEqual(cache.get('nobody'), { value: null });
    now += 1;
    assert.equal(cache.get('alice'), undefined);
    assert.equal(cache.get('nobody'), undefined);
    assert.equal(cache.size, 0);
  });

  it('keeps at most its bound, evicting the oldest answers first', () => {
    const cache = new TtlCache<number>(60_000, 3);
    for (let i = 0; i < 10; i++) cache.set(`user${i}`, i);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('user6'), undefined);
    assert.deepEqual(cache.get('user9'), { value: 9 });
  });

  it('stores nothing when the TTL is zero', () => {
    const cache = new TtlCache<number>(0, 100);
    cache.set('a', 1);
    assert.equal(cache.get('a'), undefined);
  });
});
