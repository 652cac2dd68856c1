// The throttle's settings and their defaults (tessera.properties `auth.throttle.*`, README "Failed
// logins"). Two kinds of key, as Dovecot's auth penalty and Stalwart's fail2ban-style blocking do:
// the source address, and the address together with the user name. Nothing is keyed on the user
// name alone, so an attacker elsewhere can slow and block only themselves, never the account's owner.
import type { AuthThrottleConfig } from '../../config/types.js';

export type ThrottleSettings = AuthThrottleConfig;

export const DEFAULT_THROTTLE: ThrottleSettings = {
  // One person mistyping a password: a few free tries, then slower answers, then a pause.
  userFreeFailures: 3,
  userBlockAfter: 10,
  // Everyone behind one address (an office NAT): failures against any names add up here, so a
  // password sprayer is stopped, but far later than one mistyping user.
  addressFreeFailures: 10,
  addressBlockAfter: 100,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  blockMs: 15 * 60_000,
  windowMs: 15 * 60_000,
  maxEntries: 50_000,
  // An IPv6 client usually holds a whole /64: counting single addresses would give it 2^64 keys.
  ipv6Prefix: 64,
};

export function throttleSettings(overrides: Partial<ThrottleSettings> = {}): ThrottleSettings {
  const merged = { ...DEFAULT_THROTTLE };
  for (const [name, value] of Object.entries(overrides) as [keyof ThrottleSettings, number | undefined][]) {
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}
