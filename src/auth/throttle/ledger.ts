// The throttle's memory on one node: one entry per key, in least-recently-used order. Failures are
// forgotten after a quiet window and a block ends after its time; entries that have decayed to
// nothing are dropped, and past `maxEntries` the least recently used go first, so a flood of distinct
// addresses or names cannot grow memory without limit. Every step runs without an await, so it is
// atomic on the event loop.
import type { CountedFailure, ReserveOutcome, ThrottleKey, ThrottleStore, ThrottleTicket } from './store.js';

interface ThrottleEntry {
  /** Failures counted since the record started (or last started over). */
  failures: number;
  lastFailure: number;
  /** Epoch ms until which the key is refused; 0 when not blocked. */
  blockedUntil: number;
  /** Attempts holding a reservation on this key: reserved, not yet settled. */
  inFlight: number;
}

/** A reservation holds its entries: evicted ones still settle on the object, unseen. */
interface MemoryTicket extends ThrottleTicket {
  readonly entries: readonly ThrottleEntry[];
}

export class ThrottleLedger implements ThrottleStore {
  readonly shared = false;
  private readonly entries = new Map<string, ThrottleEntry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    private readonly blockMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  reserve(keys: readonly ThrottleKey[], now: number): Promise<ReserveOutcome> {
    this.sweep(now);
    const entries = keys.map((k) => this.touch(k.id, now));
    if (entries.some((e) => e.blockedUntil > now)) return Promise.resolve({ kind: 'blocked' });
    const full = keys.findIndex((k, i) => entries[i]!.failures + entries[i]!.inFlight >= k.blockAfter);
    if (full >= 0) return Promise.resolve({ kind: 'full', key: keys[full]!.id, inFlight: entries[full]!.inFlight });
    for (const e of entries) e.inFlight += 1;
    const ticket: MemoryTicket = { keys, entries };
    return Promise.resolve({ kind: 'reserved', ticket });
  }

  countFailure(ticket: ThrottleTicket, now: number): Promise<CountedFailure[]> {
    const { keys, entries } = ticket as MemoryTicket;
    return Promise.resolve(
      entries.map((e, i) => {
        e.failures += 1;
        e.lastFailure = now;
        const blocked = e.failures >= keys[i]!.blockAfter && e.blockedUntil <= now;
        if (blocked) e.blockedUntil = now + this.blockMs;
        return { failures: e.failures, blocked };
      }),
    );
  }

  succeed(ticket: ThrottleTicket): Promise<void> {
    const [address, user] = (ticket as MemoryTicket).entries;
    if (address && user) {
      address.failures = Math.max(0, address.failures - user.failures);
      user.failures = 0;
    }
    return this.release(ticket);
  }

  release(ticket: ThrottleTicket): Promise<void> {
    for (const e of (ticket as MemoryTicket).entries) e.inFlight -= 1;
    return Promise.resolve();
  }

  blockedUntil(addressKey: string, now: number): number {
    const entry = this.entries.get(addressKey);
    if (!entry) return 0;
    this.decay(entry, now);
    return entry.blockedUntil;
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  /** The entry for `key`, created when absent, brought up to date and marked most recently used. */
  private touch(key: string, now: number): ThrottleEntry {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.decay(entry, now);
    } else {
      entry = { failures: 0, lastFailure: 0, blockedUntil: 0, inFlight: 0 };
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
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      this.decay(entry, now);
      const idle = entry.failures === 0 && entry.blockedUntil === 0 && entry.inFlight === 0;
      if (!idle) break;
      this.entries.delete(key);
    }
  }
}
