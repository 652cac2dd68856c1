// The throttle's memory: one entry per key, in least-recently-used order. Failures are forgotten
// after a quiet window and a block ends after its time; entries that have decayed to nothing are
// dropped, and past `maxEntries` the least recently used go first, so a flood of distinct addresses
// or names cannot grow memory without limit.

export interface ThrottleEntry {
  /** Failures counted since the record started (or last started over). */
  failures: number;
  lastFailure: number;
  /** Epoch ms until which the key is refused; 0 when not blocked. */
  blockedUntil: number;
  /** Attempts holding a reservation on this key: reserved, not yet settled. */
  inFlight: number;
  /** Attempts waiting for one of those to settle. */
  readonly waiters: Array<() => void>;
}

export class ThrottleLedger {
  private readonly entries = new Map<string, ThrottleEntry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key`, created when absent, brought up to date and marked most recently used. */
  touch(key: string): ThrottleEntry {
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.decay(entry, now);
    } else {
      entry = { failures: 0, lastFailure: 0, blockedUntil: 0, inFlight: 0, waiters: [] };
    }
    // Past the bound the least recently used go, even while busy: their reservations keep the
    // object and settle on it unseen.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** The entry for `key`, up to date, without creating it or changing the order. */
  peek(key: string): ThrottleEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) this.decay(entry, this.now());
    return entry;
  }

  private decay(entry: ThrottleEntry, now: number): void {
    if (entry.blockedUntil !== 0) {
      // A block that has run its time starts the record over.
      if (entry.blockedUntil <= now) {
        entry.blockedUntil = 0;
        entry.failures = 0;
      }
    } else if (entry.failures > 0 && now - entry.lastFailure > this.windowMs) {
      entry.failures = 0;
    }
  }

  /** Drops, from the least recently used end, the entries that have decayed to nothing. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      this.decay(entry, now);
      const idle = entry.failures === 0 && entry.blockedUntil === 0 && entry.inFlight === 0 && entry.waiters.length === 0;
      if (!idle) break;
      this.entries.delete(key);
    }
  }
}
