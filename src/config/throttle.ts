// tessera.properties `auth.throttle.*`: how failed logins are slowed and blocked, for every protocol
// at once (one throttle in src/auth serves IMAP, SMTP, JMAP and the development IdP). Only the keys
// written are returned; the auth core fills in its documented defaults for the rest.
import type { PropertiesReader } from './properties.js';
import type { AuthThrottleConfig } from './types.js';
import { parseInteger, parseSeconds } from './values.js';

const MAX_DELAY_MS = 60_000;

export function readAuthThrottle(props: PropertiesReader): Partial<AuthThrottleConfig> {
  const count = (key: string, min: number): number | undefined => props.parse(key, (raw) => parseInteger(raw, min, 1_000_000));
  const millis = (key: string): number | undefined => props.parse(key, (raw) => parseInteger(raw, 0, MAX_DELAY_MS));
  const seconds = (key: string): number | undefined => {
    const s = props.parse(key, parseSeconds);
    return s === undefined ? undefined : s * 1000;
  };
  const values: Partial<AuthThrottleConfig> = {
    userFreeFailures: count('auth.throttle.user.freeFailures', 0),
    userBlockAfter: count('auth.throttle.user.blockAfter', 1),
    addressFreeFailures: count('auth.throttle.address.freeFailures', 0),
    addressBlockAfter: count('auth.throttle.address.blockAfter', 1),
    baseDelayMs: millis('auth.throttle.delayMs'),
    maxDelayMs: millis('auth.throttle.maxDelayMs'),
    blockMs: seconds('auth.throttle.block'),
    windowMs: seconds('auth.throttle.window'),
    maxEntries: count('auth.throttle.maxEntries', 100),
    ipv6Prefix: props.parse('auth.throttle.ipv6Prefix', (raw) => parseInteger(raw, 32, 128)),
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<AuthThrottleConfig>;
}
