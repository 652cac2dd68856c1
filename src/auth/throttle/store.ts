// Where the login throttle keeps its counts: in this process's memory (one node, ledger.ts), or in
// PostgreSQL beside the users (postgres-ledger.ts) so that every node of a cluster counts the same
// failures and an attacker spreading guesses over several nodes gets one allowance, not one per node.
// The policy (waiting, delays, events) stays in login-throttle.ts; a store makes each step atomic.
import type { ThrottleSettings } from './settings.js';

export type ThrottleScope = 'address' | 'address+user';

/** One key an attempt counts against, with the thresholds of its scope. */
export interface ThrottleKey {
  /** `a:<address>` or `u:<address>\0<name>`. */
  id: string;
  scope: ThrottleScope;
  freeFailures: number;
  blockAfter: number;
}

/** What a store hands back for a granted reservation; opaque to the policy. */
export interface ThrottleTicket {
  readonly keys: readonly ThrottleKey[];
}

export type ReserveOutcome =
  | { kind: 'reserved'; ticket: ThrottleTicket }
  | { kind: 'blocked' }
  /** The key's failures plus attempts in flight have reached its threshold; `inFlight` may settle. */
  | { kind: 'full'; key: string; inFlight: number };

/** A key after a failure was counted on it. */
export interface CountedFailure {
  failures: number;
  /** This failure started the key's block. */
  blocked: boolean;
}

export interface ThrottleStore {
  /**
   * Whether other processes settle reservations on the same keys: then an attempt waiting for a full
   * key cannot rely on being woken by this process alone and looks again now and then.
   */
  readonly shared: boolean;
  /** Keys held in this process's memory (the bound of maxEntries). */
  readonly size: number;
  /** Atomically takes a place on every key, or on none: refused while a key is blocked or full. */
  reserve(keys: readonly ThrottleKey[], now: number): Promise<ReserveOutcome>;
  /** Counts one failure on every key of the ticket (the place stays held); in the ticket's key order. */
  countFailure(ticket: ThrottleTicket, now: number): Promise<CountedFailure[]>;
  /** The credential was right: clears the address + user failures, takes them off the address, frees the place. */
  succeed(ticket: ThrottleTicket, now: number): Promise<void>;
  /** Frees the place, counting nothing. */
  release(ticket: ThrottleTicket, now: number): Promise<void>;
  /**
   * Until when the address key is blocked as far as this process knows (0: not blocked), without a
   * round trip: the cheap check before a SASL exchange. reserve() is the authoritative one.
   */
  blockedUntil(addressKey: string, now: number): number;
  close(): Promise<void>;
}

/** Builds the store for the throttle's settings (the shared one needs the windows and the block time). */
export type ThrottleStoreFactory = (settings: ThrottleSettings) => ThrottleStore;
