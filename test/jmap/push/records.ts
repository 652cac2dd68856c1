// Push subscription records for the WebPushService tests, written to the store as the JMAP method would.
import type { PushSubscriptionRecord } from '../../../src/store/types.js';

/** An unverified subscription without keys (the body is plain JSON), expiring in an hour. */
export function unverifiedSubscription(id: string, user: string, url: string): PushSubscriptionRecord {
  return {
    id,
    user,
    binding: { credential: 'basic' },
    deviceClientId: 'dev',
    url,
    keys: null,
    verificationCode: 'c0de',
    verified: false,
    expires: new Date(Date.now() + 3_600_000),
    types: null,
    createdAt: new Date(),
  };
}
