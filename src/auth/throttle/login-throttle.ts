// Failed-login throttling for every protocol (IMAP, SMTP, JMAP Basic, the development IdP's token
// endpoint), in the way of Dovecot's auth penalty and Stalwart's fail2ban-style blocking: growing
// delays, then a temporary block, keyed on the source address and on address + user name.
//
// An attempt reserves its place BEFORE the credential is verified, and settles it afterwards. The
// reservation counts as a failure-to-be: while failures plus attempts in flight have reached the
// block threshold of a key, further attempts wait for one to settle (and are refused once the key is
// blocked, or at once when too many already wait). So 200 parallel guesses for one user from one
// address get exactly the allowance verified, not 199 of 200.
//
// A failure's delay is served while its reservation is still held, so parallel guesses queue behind
// it. A success clears the address + user record and takes that user's failures off the address:
// the owner's own typos do not count against colleagues behind the same NAT.
import { ThrottleLedger, type ThrottleEntry } from './ledger.js';
import { throttleAddress } from './address.js';
import { throttleSettings, type ThrottleSettings } from './settings.js';

/** Who is trying, for keys and for the log. Never a credential. */
export interface ThrottleAttempt {
  peer: string;
  /** The name claimed, when the mechanism carries one (not for a bare bearer token). */
  user?: string;
  protocol: string;
}

export type ThrottleScope = 'address' | 'address+user';

export type ThrottleEvent =
  | { action: 'delay'; attempt: ThrottleAttempt; scope: ThrottleScope; failures: number; delayMs: number }
  | { action: 'block'; attempt: ThrottleAttempt; scope: ThrottleScope; failures: number; blockedSeconds: number };

export type ThrottleRefusal = 'blocked' | 'busy';

export type Admission = { ok: true; reservation: Reservation } | { ok: false; refusal: ThrottleRefusal };

export interface Reservation {
  /** The credential was right: clears the address + user record. */
  succeeded(): void;
  /** The credential was wrong: counts, may block; resolves after the delay the failure earns. */
  failed(): Promise<void>;
  /** No verdict on the credential (an outage): frees the place, counts nothing. */
  released(): void;
}

/** Most attempts that may wait on one key; more are refused at once (memory stays bounded). */
export const MAX_WAITING_PER_KEY = 256;

interface Key {
  entry: ThrottleEntry;
  scope: ThrottleScope;
  freeFailures: number;
  blockAfter: number;
}

export class LoginThrottle {
  readonly settings: ThrottleSettings;
  private readonly ledger: ThrottleLedger;

  constructor(
    settings: Partial<ThrottleSettings> = {},
    private readonly now: () => number = () => Date.now(),
    private readonly onEvent: (event: ThrottleEvent) => void = () => undefined,
  ) {
    this.settings = throttleSettings(settings);
    this.ledger = new ThrottleLedger(this.settings.windowMs, this.settings.maxEntries, now);
  }

  /** Keys remembered (for tests of the memory bound). */
  get size(): number {
    return this.ledger.size;
  }

  /** True while the address is blocked (checked before a SASL exchange, when no name is known yet). */
  addressBlocked(peer: string): boolean {
    const entry = this.ledger.peek(this.addressKey(peer));
    return entry !== undefined && entry.blockedUntil > this.now();
  }

  /** Reserves a place for one credential check, waiting while the allowance is all in flight. */
  async reserve(attempt: ThrottleAttempt): Promise<Admission> {
    for (;;) {
      const keys = this.keysOf(attempt);
      const now = this.now();
      if (keys.some((k) => k.entry.blockedUntil > now)) return { ok: false, refusal: 'blocked' };
      const full = keys.find((k) => k.entry.failures + k.entry.inFlight >= k.blockAfter);
      if (!full) {
        for (const k of keys) k.entry.inFlight += 1;
        return { ok: true, reservation: new Place(this, attempt, keys) };
      }
      // Nothing in flight to wait for: the threshold was reached without a block (settings changed).
      if (full.entry.inFlight === 0) return { ok: false, refusal: 'blocked' };
      if (full.entry.waiters.length >= MAX_WAITING_PER_KEY) return { ok: false, refusal: 'busy' };
      await new Promise<void>((resolve) => full.entry.waiters.push(resolve));
    }
  }

  /** @internal Settles a failure on every key of a reservation; returns the delay it earns. */
  countFailure(attempt: ThrottleAttempt, keys: readonly Key[]): number {
    const now = this.now();
    let delay = 0;
    let delayScope: ThrottleScope = 'address';
    let delayFailures = 0;
    for (const k of keys) {
      const e = k.entry;
      e.failures += 1;
      e.lastFailure = now;
      if (e.failures >= k.blockAfter && e.blockedUntil <= now) {
        e.blockedUntil = now + this.settings.blockMs;
        this.onEvent({ action: 'block', attempt, scope: k.scope, failures: e.failures, blockedSeconds: Math.ceil(this.settings.blockMs / 1000) });
      }
      const d = this.delayFor(e.failures - k.freeFailures);
      if (d > delay) {
        delay = d;
        delayScope = k.scope;
        delayFailures = e.failures;
      }
    }
    if (delay > 0) this.onEvent({ action: 'delay', attempt, scope: delayScope, failures: delayFailures, delayMs: delay });
    return delay;
  }

  private delayFor(over: number): number {
    if (over <= 0) return 0;
    return Math.min(this.settings.baseDelayMs * 2 ** Math.min(over - 1, 30), this.settings.maxDelayMs);
  }

  private addressKey(peer: string): string {
    return `a:${throttleAddress(peer, this.settings.ipv6Prefix)}`;
  }

  private keysOf(attempt: ThrottleAttempt): Key[] {
    const s = this.settings;
    const address = this.addressKey(attempt.peer);
    this.ledger.sweep();
    const keys: Key[] = [{ entry: this.ledger.touch(address), scope: 'address', freeFailures: s.addressFreeFailures, blockAfter: s.addressBlockAfter }];
    if (attempt.user !== undefined && attempt.user !== '') {
      const entry = this.ledger.touch(`u:${address}\u0000${attempt.user.toLowerCase()}`);
      keys.push({ entry, scope: 'address+user', freeFailures: s.userFreeFailures, blockAfter: s.userBlockAfter });
    }
    return keys;
  }
}

/** One reserved place; settles exactly once, whatever the caller does afterwards. */
class Place implements Reservation {
  private settled = false;

  constructor(
    private readonly throttle: LoginThrottle,
    private readonly attempt: ThrottleAttempt,
    private readonly keys: readonly Key[],
  ) {}

  succeeded(): void {
    if (!this.claim()) return;
    const [address, user] = this.keys;
    if (address && user) {
      address.entry.failures = Math.max(0, address.entry.failures - user.entry.failures);
      user.entry.failures = 0;
    }
    this.release();
  }

  async failed(): Promise<void> {
    if (!this.claim()) return;
    const delay = this.throttle.countFailure(this.attempt, this.keys);
    try {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    } finally {
      this.release();
    }
  }

  released(): void {
    if (this.claim()) this.release();
  }

  private claim(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  private release(): void {
    for (const { entry } of this.keys) {
      entry.inFlight -= 1;
      for (const wake of entry.waiters.splice(0)) wake();
    }
  }
}
