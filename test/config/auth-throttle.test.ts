// tessera.properties `auth.throttle.*`: read into the settings of the one login throttle; unset keys
// are left to the auth core's defaults; bad values stop the start naming the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectConfigError, loadClean } from './fixtures.js';

describe('tessera.properties auth.throttle.*', () => {
  it('no keys: nothing set, the auth core uses its defaults', async () => {
    const l = await loadClean({});
    assert.deepEqual(l.config.authThrottle, {});
  });

  it('every key, with durations in seconds or with a unit', async () => {
    const l = await loadClean({
      'tessera.properties': [
        'auth.throttle.user.freeFailures=2',
        'auth.throttle.user.blockAfter=8',
        'auth.throttle.address.freeFailures=20',
        'auth.throttle.address.blockAfter=300',
        'auth.throttle.delayMs=500',
        'auth.throttle.maxDelayMs=16000',
        'auth.throttle.block=1h',
        'auth.throttle.window=600',
        'auth.throttle.maxEntries=20000',
        'auth.throttle.ipv6Prefix=56',
        '',
      ].join('\n'),
    });
    assert.deepEqual(l.config.authThrottle, {
      userFreeFailures: 2,
      userBlockAfter: 8,
      addressFreeFailures: 20,
      addressBlockAfter: 300,
      baseDelayMs: 500,
      maxDelayMs: 16000,
      blockMs: 3_600_000,
      windowMs: 600_000,
      maxEntries: 20000,
      ipv6Prefix: 56,
    });
  });

  it('a block threshold of zero is a start-up error naming the key', async () => {
    await expectConfigError(
      { 'tessera.properties': 'auth.throttle.user.blockAfter=0\n' },
      { file: 'tessera.properties', key: 'auth.throttle.user.blockAfter', value: '0', fix: 'write a whole number from 1 to 1000000' },
    );
  });
});
