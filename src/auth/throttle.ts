// Failed logins slow down and then lock out the peer address and the user name they came from.
// Counters decay after a quiet window and are dropped oldest-first past a bound, so a flood of
// distinct addresses or names cannot grow memory without limit.
//
// Trade-off: the per-user lock-out also stops the real user for `lockoutMs` while someone guesses their
// password from many addresses. That is deliberate (a distributed guesser gets 10 tries per window,
// not 10 per address) and temporary; token logins are affected only when they name the user in the
// SASL payload, and a success from anywhere clears the record.

export interface ThrottleSettings {
  /** Failures (per key) before delays start. */
  freeFailures: number;
  /** First delay; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures (per key) that lock the key out. */
  lockoutAfter: number;
  lockoutMs: number;
  /** A key with no failure for this long starts over. */
  windowMs: number;
  /** Most keys remembered (peers + users). */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  freeFailures: 2,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  lockoutAfter: 10,
  lockoutMs: 5 * 60_000,
  windowMs: 15 * 60_000,
  maxEntries: 50_000,
};

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly settings: ThrottleSettings;
  private readonly entries = new Map<string, Entry>();

  constructor(settings: Partial<ThrottleSettings> = {}, private readonly now: () => number = Date.now) {
    this.settings = { ...DEFAULT_THROTTLE, ...settings };
  }

  /** True while the peer or the user is locked out. */
  isLocked(peer: string, user?: string): boolean {
    return this.lockedKey(peerKey(peer)) || (user !== undefined && this.lockedKey(userKey(user)));
  }

  /** Records a failure; returns how long to wait before answering it. */
  recordFailure(peer: string, user?: string): number {
    const a = this.bump(peerKey(peer));
    const b = user !== undefined ? this.bump(userKey(user)) : 0;
    const failures = Math.max(a, b);
    const over = failures - this.settings.freeFailures;
    if (over <= 0) return 0;
    return Math.min(this.settings.baseDelayMs * 2 ** (over - 1), this.settings.maxDelayMs);
  }

  /** A success clears both the peer's and the user's record. */
  recordSuccess(peer: string, user?: string): void {
    this.entries.delete(peerKey(peer));
    if (user !== undefined) this.entries.delete(userKey(user));
  }

  get size(): number {
    return this.entries.size;
  }

  private lockedKey(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.lockedUntil > this.now();
  }

  private bump(key: string): number {
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry && now - entry.lastFailure > this.settings.windowMs && entry.lockedUntil <= now) entry = undefined;
    if (!entry) entry = { failures: 0, lastFailure: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailure = now;
    if (entry.failures >= this.settings.lockoutAfter) entry.lockedUntil = now + this.settings.lockoutMs;
    // Re-insert so Map order is least-recently-failed first; evict from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry.failures;
  }
}

function peerKey(peer: string): string {
  return `p:${peer}`;
}

function userKey(user: string): string {
  return `u:${user.toLowerCase()}`;
}
