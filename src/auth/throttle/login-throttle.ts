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
//
// The counts live in a ThrottleStore (store.ts): this process's memory, or PostgreSQL shared by every
// node (storage.engine=postgres), where each step is one atomic statement, so nodes cannot overshoot.
import { ThrottleLedger } from './ledger.js';
import { throttleAddress } from './address.js';
import { throttleSettings, type ThrottleSettings } from './settings.js';
import type { ThrottleKey, ThrottleScope, ThrottleStore, ThrottleStoreFactory, ThrottleTicket } from './store.js';

export type { ThrottleScope } from './store.js';

/** Who is trying, for keys and for the log. Never a credential. */
export interface ThrottleAttempt {
  peer: string;
  /** The name claimed, when the mechanism carries one (not for a bare bearer token). */
  user?: string;
  protocol: string;
}

export type ThrottleEvent =
  | { action: 'delay'; attempt: ThrottleAttempt; scope: ThrottleScope; failures: number; delayMs: number }
  | { action: 'block'; attempt: ThrottleAttempt; scope: ThrottleScope; failures: number; blockedSeconds: number };

/** `unavailable`: the shared store could not be asked; the attempt is refused rather than let through unchecked. */
export type ThrottleRefusal = 'blocked' | 'busy' | 'unavailable';

export type Admission = { ok: true; reservation: Reservation } | { ok: false; refusal: ThrottleRefusal };

export interface Reservation {
  /** The credential was right: clears the address + user record. */
  succeeded(): void;
  /** The credential was wrong: counts, may block; resolves after the delay the failure earns. */
  failed(): Promise<void>;
  /** No verdict on the credential (an outage): frees the place, counts nothing. */
  released(): void;
}

/** Most attempts that may wait on one key in this process; more are refused at once (memory stays bounded). */
export const MAX_WAITING_PER_KEY = 256;

/**
 * With a shared store, an attempt waiting for a full key looks again after this long (doubling up to
 * the maximum), since the reservation it waits for may be settled by another node, which cannot wake
 * it. A settle in this process wakes it at once.
 */
const SHARED_RECHECK_MS = 50;
const SHARED_RECHECK_MAX_MS = 1000;

export interface LoginThrottleOptions {
  /** The shared store (storage.engine=postgres); default: this process's memory. */
  store?: ThrottleStoreFactory;
  /** A shared store's failure to settle a reservation (its lease frees the place later). */
  onStoreError?: (err: unknown) => void;
}

export class LoginThrottle {
  readonly settings: ThrottleSettings;
  private readonly store: ThrottleStore;
  /** Attempts of this process waiting for a key, woken when a reservation on it settles here. */
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    settings: Partial<ThrottleSettings> = {},
    private readonly now: () => number = () => Date.now(),
    private readonly onEvent: (event: ThrottleEvent) => void = () => undefined,
    private readonly options: LoginThrottleOptions = {},
  ) {
    this.settings = throttleSettings(settings);
    const s = this.settings;
    this.store = options.store ? options.store(s) : new ThrottleLedger(s.windowMs, s.maxEntries, s.blockMs);
  }

  /** Keys remembered in this process (for tests of the memory bound). */
  get size(): number {
    return this.store.size;
  }

  /** True while the address is blocked, as far as this process knows (checked before a SASL exchange, when no name is known yet). */
  addressBlocked(peer: string): boolean {
    const now = this.now();
    return this.store.blockedUntil(this.addressKey(peer), now) > now;
  }

  /** Reserves a place for one credential check, waiting while the allowance is all in flight. */
  async reserve(attempt: ThrottleAttempt): Promise<Admission> {
    const keys = this.keysOf(attempt);
    let recheck = SHARED_RECHECK_MS;
    for (;;) {
      let outcome;
      try {
        outcome = await this.store.reserve(keys, this.now());
      } catch (err) {
        this.storeFailed(err);
        return { ok: false, refusal: 'unavailable' };
      }
      if (outcome.kind === 'reserved') return { ok: true, reservation: new Place(this, attempt, outcome.ticket) };
      if (outcome.kind === 'blocked') return { ok: false, refusal: 'blocked' };
      // Nothing in flight to wait for: the threshold was reached without a block (settings changed).
      if (outcome.inFlight === 0) return { ok: false, refusal: 'blocked' };
      const queue = this.waiters.get(outcome.key) ?? [];
      if (queue.length >= MAX_WAITING_PER_KEY) return { ok: false, refusal: 'busy' };
      this.waiters.set(outcome.key, queue);
      await this.waitFor(outcome.key, queue, this.store.shared ? recheck : undefined);
      recheck = Math.min(recheck * 2, SHARED_RECHECK_MAX_MS);
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** @internal A shared store's step failed: reported, never thrown at the login. */
  storeFailed(err: unknown): void {
    this.options.onStoreError?.(err);
  }

  /** Until a reservation on `key` settles here, or (shared store) `recheckMs` passes, with jitter. */
  private waitFor(key: string, queue: Array<() => void>, recheckMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      queue.push(wake);
      if (recheckMs !== undefined) {
        timer = setTimeout(() => {
          const i = queue.indexOf(wake);
          if (i >= 0) queue.splice(i, 1);
          if (queue.length === 0 && this.waiters.get(key) === queue) this.waiters.delete(key);
          resolve();
        }, recheckMs * (0.5 + Math.random()));
        timer.unref();
      }
    });
  }

  /** @internal Settles a failure on every key of a reservation; returns the delay it earns. */
  async countFailure(attempt: ThrottleAttempt, ticket: ThrottleTicket): Promise<number> {
    const counted = await this.store.countFailure(ticket, this.now());
    let delay = 0;
    let delayScope: ThrottleScope = 'address';
    let delayFailures = 0;
    ticket.keys.forEach((k, i) => {
      const c = counted[i];
      if (!c) return;
      if (c.blocked) {
        this.onEvent({ action: 'block', attempt, scope: k.scope, failures: c.failures, blockedSeconds: Math.ceil(this.settings.blockMs / 1000) });
      }
      const d = this.delayFor(c.failures - k.freeFailures);
      if (d > delay) {
        delay = d;
        delayScope = k.scope;
        delayFailures = c.failures;
      }
    });
    if (delay > 0) this.onEvent({ action: 'delay', attempt, scope: delayScope, failures: delayFailures, delayMs: delay });
    return delay;
  }

  /** @internal Runs a settling step of the store, then wakes this process's attempts waiting on its keys. */
  async settle(ticket: ThrottleTicket, step: 'succeed' | 'release'): Promise<void> {
    try {
      await this.store[step](ticket, this.now());
    } catch (err) {
      this.storeFailed(err);
    } finally {
      for (const k of ticket.keys) {
        const queue = this.waiters.get(k.id);
        if (!queue) continue;
        this.waiters.delete(k.id);
        for (const wake of queue) wake();
      }
    }
  }

  private delayFor(over: number): number {
    if (over <= 0) return 0;
    return Math.min(this.settings.baseDelayMs * 2 ** Math.min(over - 1, 30), this.settings.maxDelayMs);
  }

  private addressKey(peer: string): string {
    return `a:${throttleAddress(peer, this.settings.ipv6Prefix)}`;
  }

  /**
   * The address key first, then the address + user key: every store takes them in this order (no
   * deadlock). A space parts the two (an address holds none; PostgreSQL text may not hold NUL).
   */
  private keysOf(attempt: ThrottleAttempt): ThrottleKey[] {
    const s = this.settings;
    const address = this.addressKey(attempt.peer);
    const keys: ThrottleKey[] = [{ id: address, scope: 'address', freeFailures: s.addressFreeFailures, blockAfter: s.addressBlockAfter }];
    if (attempt.user !== undefined && attempt.user !== '') {
      keys.push({ id: `u:${address} ${attempt.user.toLowerCase()}`, scope: 'address+user', freeFailures: s.userFreeFailures, blockAfter: s.userBlockAfter });
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
    private readonly ticket: ThrottleTicket,
  ) {}

  // A success or a release is not waited for: the answer to the client needs no second round trip
  // to a shared store (the place stays taken until the statement is done, then waiters wake).
  succeeded(): void {
    if (this.claim()) void this.throttle.settle(this.ticket, 'succeed');
  }

  async failed(): Promise<void> {
    if (!this.claim()) return;
    try {
      let delay = 0;
      try {
        delay = await this.throttle.countFailure(this.attempt, this.ticket);
      } catch (err) {
        // Not counted (the shared store failed): the answer is still a failure, without a delay.
        this.throttle.storeFailed(err);
      }
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    } finally {
      await this.throttle.settle(this.ticket, 'release');
    }
  }

  released(): void {
    if (this.claim()) void this.throttle.settle(this.ticket, 'release');
  }

  private claim(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }
}
