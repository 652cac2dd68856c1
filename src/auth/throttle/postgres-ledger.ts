// The login throttle's counts in PostgreSQL (table login_throttle of the users database), shared by
// every node: an attacker spreading guesses over three nodes gets the allowance of one.
//
// Every step is ONE statement, and each key's check-and-change happens on its row under the row lock
// that INSERT … ON CONFLICT DO UPDATE / UPDATE take, so nodes racing for the last place cannot both
// get it. A reservation takes a place on the address key and the address + user key in one upsert;
// when only one of them had room, the place taken is given back by a second statement (only when a
// key is full, i.e. under attack). The login hot path is one round trip: a success or a release is
// sent without the answer waiting for it.
//
// Decay (a quiet window forgets failures, a block that has run out starts the record over) is
// computed inside the statements from the row as read under the lock, with the calling node's clock.
// A place is counted in a generation (in_flight of `gen`, in_flight_prev of `prev_gen`) that rolls
// over every lease: a place never given back, because its node died, is forgotten after at most two
// leases, even on a key busy enough never to go quiet. Rows that hold nothing any more are swept.
import { randomBytes } from 'node:crypto';
import type { PgParam } from '../users/postgres-database.js';
import type { ThrottleSettings } from './settings.js';
import type { CountedFailure, ReserveOutcome, ThrottleKey, ThrottleStore, ThrottleTicket } from './store.js';

/** The users database's query functions (UsersPg): the throttle shares its pool. */
export interface ThrottleQueries {
  all<R extends Record<string, unknown>>(text: string, params?: PgParam[]): Promise<R[]>;
  exec(text: string, params?: PgParam[]): Promise<number>;
}

/**
 * How long a place may be held: the credential check (an LDAP bind, a token introspection, each with
 * its own timeout) plus the failure's delay. Longer, and another attempt may take its place.
 */
const LEASE_BASE_MS = 120_000;
/** How often rows holding nothing are deleted. */
const SWEEP_MS = 60_000;

// Parameters the statements that decay a row start with: $1 the node's clock, $2 the quiet window,
// and for a reservation $3 the lease.
const NOW = '$1::bigint';
const WINDOW = '$2::bigint';
const LEASE = '$3::bigint';

// The row's state brought up to date, as expressions over the locked row `t` (SET and RETURNING
// read the row as it was before the statement changed it).
const FAILURES = `(CASE WHEN t.blocked_until <> 0 AND t.blocked_until <= ${NOW} THEN 0
  WHEN t.blocked_until = 0 AND ${NOW} - t.last_failure > ${WINDOW} THEN 0 ELSE t.failures END)`;
const BLOCKED = `(CASE WHEN t.blocked_until <= ${NOW} THEN 0 ELSE t.blocked_until END)`;
const ROLLED = `(${NOW} - t.gen >= ${LEASE})`;
const GONE = `(${NOW} - t.gen >= 2 * ${LEASE})`;
const IN_FLIGHT = `(CASE WHEN ${ROLLED} THEN 0 ELSE t.in_flight END)`;
const IN_FLIGHT_PREV = `(CASE WHEN ${GONE} THEN 0 WHEN ${ROLLED} THEN t.in_flight ELSE t.in_flight_prev END)`;
const GEN = `(CASE WHEN ${ROLLED} THEN ${NOW} ELSE t.gen END)`;
const PREV_GEN = `(CASE WHEN ${GONE} THEN NULL WHEN ${ROLLED} THEN t.gen ELSE t.prev_gen END)`;
const ROOM = `(${BLOCKED} = 0 AND ${FAILURES} + ${IN_FLIGHT} + ${IN_FLIGHT_PREV} < excluded.block_after)`;

// $4 this attempt's token, $5 the keys, $6 their thresholds (address key first: rows are locked in
// one order by every node, so two attempts cannot deadlock).
const RESERVE = `INSERT INTO login_throttle AS t
    (key, block_after, failures, last_failure, blocked_until, in_flight, in_flight_prev, gen, prev_gen, reserved_by, idle_at)
  SELECT k, lim, 0, 0, 0, 1, 0, ${NOW}, NULL, $4::text, ${NOW} + 2 * ${LEASE}
    FROM unnest($5::text[], $6::int[]) WITH ORDINALITY AS i(k, lim, n) ORDER BY n
  ON CONFLICT (key) DO UPDATE SET
    block_after = excluded.block_after,
    failures = ${FAILURES},
    blocked_until = ${BLOCKED},
    in_flight = ${IN_FLIGHT} + CASE WHEN ${ROOM} THEN 1 ELSE 0 END,
    in_flight_prev = ${IN_FLIGHT_PREV},
    gen = ${GEN},
    prev_gen = ${PREV_GEN},
    reserved_by = CASE WHEN ${ROOM} THEN $4::text ELSE NULL END,
    idle_at = GREATEST(${BLOCKED}, t.last_failure + ${WINDOW}, ${GEN} + 2 * ${LEASE})
  RETURNING key, blocked_until, in_flight + in_flight_prev AS in_flight, gen, reserved_by IS NOT DISTINCT FROM $4::text AS reserved`;

// $1 now, $2 window, $3 the block time, $4 the keys. RETURNING reads the row as changed: a block that
// ends exactly a block time from now was started by this statement (or by one in the same
// millisecond on another node: then two nodes report it).
const BLOCK_TIME = '$3::bigint';
const NEW_BLOCKED = `(CASE WHEN ${BLOCKED} = 0 AND ${FAILURES} + 1 >= t.block_after THEN ${NOW} + ${BLOCK_TIME} ELSE ${BLOCKED} END)`;
const COUNT_FAILURE = `UPDATE login_throttle AS t SET
    failures = ${FAILURES} + 1,
    last_failure = ${NOW},
    blocked_until = ${NEW_BLOCKED},
    idle_at = GREATEST(t.idle_at, ${NOW} + ${WINDOW}, ${NEW_BLOCKED})
  FROM unnest($4::text[]) AS r(k) WHERE t.key = r.k
  RETURNING t.key, t.failures, t.blocked_until, t.blocked_until = ${NOW} + ${BLOCK_TIME} AS blocked`;

// A place given back to the generation it was taken in (if that generation is still counted).
const GIVE_BACK = `in_flight = CASE WHEN t.gen = r.g THEN GREATEST(t.in_flight - 1, 0) ELSE t.in_flight END,
    in_flight_prev = CASE WHEN t.gen <> r.g AND t.prev_gen = r.g THEN GREATEST(t.in_flight_prev - 1, 0) ELSE t.in_flight_prev END`;

// $1 the keys, $2 their generations.
const RELEASE = `UPDATE login_throttle AS t SET ${GIVE_BACK}
  FROM unnest($1::text[], $2::bigint[]) AS r(k, g) WHERE t.key = r.k`;

// $1 now, $2 window, $3 the keys, $4 their generations, $5 the address + user key ('' for none): the
// place is given back, that key's failures are cleared and taken off the address (as read at the
// statement's start), so the owner's typos do not count against colleagues behind the same address.
const SUCCEED = `WITH u AS (SELECT ${FAILURES} AS f FROM login_throttle t WHERE t.key = $5::text)
  UPDATE login_throttle AS t SET ${GIVE_BACK},
    failures = CASE WHEN t.key = $5::text THEN 0 ELSE GREATEST(0, ${FAILURES} - COALESCE((SELECT f FROM u), 0)) END
  FROM unnest($3::text[], $4::bigint[]) AS r(k, g) WHERE t.key = r.k`;

const SWEEP = 'DELETE FROM login_throttle WHERE idle_at < $1::bigint';

interface PgTicket extends ThrottleTicket {
  /** The generation each key's place was counted in. */
  readonly gens: readonly number[];
}

interface ReservedRow extends Record<string, unknown> {
  key: string;
  blocked_until: string;
  in_flight: number;
  gen: string;
  reserved: boolean;
}

export class PostgresThrottleLedger implements ThrottleStore {
  readonly shared = true;
  private readonly leaseMs: number;
  /** Address blocks seen in statement results: the round-trip-free check before a SASL exchange. */
  private readonly blocks = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: ThrottleQueries,
    private readonly settings: ThrottleSettings,
    private readonly now: () => number = () => Date.now(),
    onSweepError: (err: unknown) => void = () => undefined,
  ) {
    this.leaseMs = LEASE_BASE_MS + settings.maxDelayMs;
    this.sweeper = setInterval(() => void this.sweep().catch(onSweepError), SWEEP_MS);
    this.sweeper.unref();
  }

  get size(): number {
    return this.blocks.size;
  }

  async reserve(keys: readonly ThrottleKey[], now: number): Promise<ReserveOutcome> {
    const token = randomBytes(12).toString('base64url');
    const rows = await this.db.all<ReservedRow>(RESERVE, [now, this.settings.windowMs, this.leaseMs, token, keys.map((k) => k.id), keys.map((k) => k.blockAfter)]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const found = keys.map((k) => byKey.get(k.id));
    const address = found[0];
    if (address) this.noteBlock(keys[0]!.id, Number(address.blocked_until), now);
    if (found.every((r) => r?.reserved === true)) {
      const ticket: PgTicket = { keys, gens: found.map((r) => Number(r!.gen)) };
      return { kind: 'reserved', ticket };
    }
    // Only some keys had room: give their places back before saying why not.
    const taken = keys.flatMap((k, i) => (found[i]?.reserved === true ? [{ key: k, gen: Number(found[i]!.gen) }] : []));
    if (taken.length > 0) {
      await this.db.exec(RELEASE, [taken.map((t) => t.key.id), taken.map((t) => t.gen)]);
    }
    if (found.some((r) => r !== undefined && Number(r.blocked_until) > now)) return { kind: 'blocked' };
    const full = keys.findIndex((_, i) => found[i]?.reserved !== true);
    const row = found[full];
    return { kind: 'full', key: keys[full]!.id, inFlight: row ? Math.max(0, Number(row.in_flight)) : 0 };
  }

  async countFailure(ticket: ThrottleTicket, now: number): Promise<CountedFailure[]> {
    const rows = await this.db.all<{ key: string; failures: number; blocked_until: string; blocked: boolean }>(COUNT_FAILURE, [
      now,
      this.settings.windowMs,
      this.settings.blockMs,
      ticket.keys.map((k) => k.id),
    ]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const address = byKey.get(ticket.keys[0]?.id ?? '');
    if (address) this.noteBlock(address.key, Number(address.blocked_until), now);
    // A row swept meanwhile (it cannot be while its place is held, unless the lease ran out) counts as new.
    return ticket.keys.map((k) => {
      const r = byKey.get(k.id);
      return r ? { failures: r.failures, blocked: r.blocked } : { failures: 0, blocked: false };
    });
  }

  async succeed(ticket: ThrottleTicket, now: number): Promise<void> {
    const { keys, gens } = ticket as PgTicket;
    await this.db.exec(SUCCEED, [now, this.settings.windowMs, keys.map((k) => k.id), gens, keys[1]?.id ?? '']);
  }

  async release(ticket: ThrottleTicket): Promise<void> {
    const { keys, gens } = ticket as PgTicket;
    await this.db.exec(RELEASE, [keys.map((k) => k.id), gens]);
  }

  blockedUntil(addressKey: string, now: number): number {
    const until = this.blocks.get(addressKey);
    if (until === undefined) return 0;
    if (until > now) return until;
    this.blocks.delete(addressKey);
    return 0;
  }

  /** Deletes the rows that hold nothing any more (also run every minute). */
  async sweep(): Promise<number> {
    return this.db.exec(SWEEP, [this.now()]);
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.blocks.clear();
    return Promise.resolve();
  }

  /** Remembers an address block, bounded like the memory ledger (oldest first out). */
  private noteBlock(key: string, until: number, now: number): void {
    if (until <= now) {
      this.blocks.delete(key);
      return;
    }
    this.blocks.delete(key);
    this.blocks.set(key, until);
    for (const oldest of this.blocks.keys()) {
      if (this.blocks.size <= this.settings.maxEntries) break;
      this.blocks.delete(oldest);
    }
  }
}
