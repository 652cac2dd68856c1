// Delivery to push subscriptions (RFC 8620 §7.2). Each subscription has at most one POST in flight
// and one pending StateChange into which every later change of its user's accounts is merged (the
// newest state of each type wins), so a storm of changes becomes a few POSTs, and the memory held
// per subscription is bounded by the number of data types. Nothing but a PushVerification is sent
// before the client has set the verification code; nothing at all once `expires` has passed (the
// subscription is then destroyed). 429, 5xx and network failures are retried with exponential
// backoff (Retry-After honoured) up to maxAttempts, then that message is dropped; 404/410 destroy
// the subscription. Sends run beside everything else: a slow endpoint holds one of a bounded number
// of sockets for at most the timeout, and never the event loop or other subscriptions.
//
// Several nodes (one PostgreSQL store): every node holds every subscription. A create, update or
// destroy is announced on the bus and the other nodes re-read that subscription from the store; a
// resync (the node may have missed announcements) re-reads them all. A change is pushed by the node
// where it happened only (`watch` hands this service that node's own changes), so each is POSTed
// once, not once per node; the PushVerification by the node that created the subscription.
import type { Logger } from '../../../log/logger.js';
import type { SessionRevokedEvent } from '../../../events/types.js';
import type { PushCredentialBinding, PushSubscriptionChanges, PushSubscriptionRecord, PushSubscriptionStore } from '../../../store/types.js';
import type { StateChange } from '../../backend.js';
import { encryptWebPush } from './encrypt.js';
import { sendPush, type PushMessage, type SendOutcome } from './send.js';

/** jmap.properties settings (see conf/jmap.properties). */
export interface WebPushSettings {
  /** webpush.prevent.server.side.request.forgery=false: http:// and private addresses allowed. */
  allowPrivate: boolean;
  /** webpush.subscription.maxExpiry: the furthest `expires` a client gets (RFC: at least 48 h). */
  maxExpirySeconds: number;
}

export const DEFAULT_WEBPUSH_SETTINGS: WebPushSettings = { allowPrivate: false, maxExpirySeconds: 7 * 86_400 };
/** RFC 8620 §7.2: "This maximum expiry time MUST be at least 48 hours in the future". */
export const MIN_MAX_EXPIRY_SECONDS = 48 * 3600;

export interface WebPushTiming {
  /** Wait after the first change before sending, so changes of one burst travel together. */
  coalesceMs: number;
  /** First retry delay; doubled per attempt, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Tries of one message before it is dropped. */
  maxAttempts: number;
  timeoutMs: number;
  /** POSTs in flight across all subscriptions. */
  maxConcurrent: number;
  /** How often expired subscriptions are looked for. */
  sweepMs: number;
}

export const DEFAULT_WEBPUSH_TIMING: WebPushTiming = {
  coalesceMs: 250,
  backoffMs: 2_000,
  maxBackoffMs: 10 * 60_000,
  maxAttempts: 6,
  timeoutMs: 10_000,
  maxConcurrent: 64,
  sweepMs: 3_600_000,
};

/** RFC 8030 §5.2 TTLs: a verification is worth keeping longer than one state change. */
const VERIFICATION_TTL_SECONDS = 86_400;
const STATE_TTL_SECONDS = 3_600;
/** A 429 or Retry-After asking for longer than this is waited this long. */
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface WebPushServiceOptions {
  store: PushSubscriptionStore;
  /** Every StateChange of a user's accounts (all types) made on this node; returns the unsubscribe function. */
  watch(user: string, onChange: (change: StateChange) => void): () => void;
  /** Tells every node (this one too) that a subscription was created, changed or destroyed. */
  announce?(change: PushSubscriptionChange): void;
  /** Every announcement, from any node; returns the unsubscribe function. */
  onAnnounced?(handler: (change: PushSubscriptionChange) => void): () => void;
  /** Announcements may have been missed (the bus' onResync); returns the unsubscribe function. */
  onResync?(handler: () => void): () => void;
  /** Every session-revoked event (the bus' onRevocation). */
  onRevocation(handler: (event: SessionRevokedEvent) => void): () => void;
  /** Whether session control has revoked the OP session a subscription is bound to. */
  isRevoked?(user: string, binding: PushCredentialBinding): Promise<boolean>;
  logger: Logger;
  settings: WebPushSettings;
  timing?: Partial<WebPushTiming>;
}

/** Which subscription changed: its owner and id (never its URL or keys). */
export interface PushSubscriptionChange {
  user: string;
  id: string;
}

interface Live {
  record: PushSubscriptionRecord;
  /** accountId → type → state, merged until sent. */
  pending: Map<string, Map<string, string>>;
  verificationDue: boolean;
  sending: boolean;
  timer: NodeJS.Timeout | undefined;
  attempts: number;
  abort: AbortController;
}

type Payload = { kind: 'verification' } | { kind: 'state'; changed: Map<string, Map<string, string>> };

export class WebPushService {
  private readonly live = new Map<string, Live>();
  private readonly watchers = new Map<string, { ids: Set<string>; stop: () => void }>();
  private readonly timing: WebPushTiming;
  private inFlight = 0;
  private stopRevocations: (() => void) | undefined;
  private stopAnnouncements: (() => void) | undefined;
  /** Re-reads from the store run one after another, so an older read never overwrites a newer one. */
  private rereads: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | undefined;
  /** Between start() and stop(): only then are subscriptions delivered to (an app never started sends nothing). */
  private running = false;

  constructor(private readonly options: WebPushServiceOptions) {
    this.timing = { ...DEFAULT_WEBPUSH_TIMING, ...options.timing };
  }

  get settings(): WebPushSettings {
    return this.options.settings;
  }

  /** Loads the stored subscriptions (dropping expired ones) and starts delivering. */
  async start(): Promise<void> {
    const now = Date.now();
    const all = await this.options.store.listPushSubscriptions();
    const expired = all.filter((r) => r.expires.getTime() <= now).map((r) => r.id);
    if (expired.length > 0) await this.options.store.deletePushSubscriptions(expired);
    for (const record of all) if (record.expires.getTime() > now) this.register(record, false);
    this.stopRevocations = this.options.onRevocation((event) => void this.revoked(event));
    const stopAnnounced = this.options.onAnnounced?.((change) => this.reread(() => this.rereadOne(change)));
    const stopResync = this.options.onResync?.(() => this.reread(() => this.rereadAll()));
    this.stopAnnouncements = () => {
      stopAnnounced?.();
      stopResync?.();
    };
    this.sweeper = setInterval(() => void this.sweep(), this.timing.sweepMs);
    this.sweeper.unref();
    this.running = true;
  }

  stop(): void {
    this.running = false;
    this.stopRevocations?.();
    this.stopAnnouncements?.();
    if (this.sweeper) clearInterval(this.sweeper);
    for (const live of this.live.values()) this.forget(live);
  }

  /** The user's subscriptions made with these credentials; expired ones are destroyed on the way. */
  async list(user: string, credential: string): Promise<PushSubscriptionRecord[]> {
    const now = Date.now();
    const mine = (await this.options.store.listPushSubscriptions(user)).filter((r) => r.binding.credential === credential);
    const expired = mine.filter((r) => r.expires.getTime() <= now).map((r) => r.id);
    if (expired.length > 0) await this.destroy(expired);
    return mine.filter((r) => r.expires.getTime() > now);
  }

  /** How many subscriptions the user has, whatever credentials made them. */
  async count(user: string): Promise<number> {
    return (await this.options.store.listPushSubscriptions(user)).length;
  }

  /** Stores a new subscription and sends its PushVerification at once. */
  async create(record: PushSubscriptionRecord): Promise<void> {
    await this.options.store.addPushSubscription(record);
    if (this.running) this.register(record, true);
    this.announce(record);
  }

  async update(record: PushSubscriptionRecord, changes: PushSubscriptionChanges): Promise<boolean> {
    if (!(await this.options.store.updatePushSubscription(record.id, changes))) return false;
    const live = this.live.get(record.id);
    if (live) {
      const wasVerified = live.record.verified;
      live.record = { ...live.record, ...changes };
      // The client has the code: a verification still waiting for a retry is not needed any more.
      if (changes.verified) live.verificationDue = false;
      this.verifiedNow(live, wasVerified);
    }
    this.announce(record);
    return true;
  }

  async destroy(ids: readonly string[]): Promise<void> {
    const owners = new Map<string, string>();
    for (const id of ids) {
      const live = this.live.get(id);
      if (live) {
        owners.set(id, live.record.user);
        this.forget(live);
      }
    }
    await this.options.store.deletePushSubscriptions(ids);
    // Only those this node held can be named with their owner; a node holds every subscription
    // unless it missed an announcement, and then its resync settles it.
    for (const [id, user] of owners) this.announce({ id, user });
  }

  private announce(record: { id: string; user: string }): void {
    this.options.announce?.({ user: record.user, id: record.id });
  }

  /** Queues a re-read behind the ones already running; a failure is logged (the next resync repairs it). */
  private reread(step: () => Promise<void>): void {
    this.rereads = this.rereads
      .then(() => (this.running ? step() : undefined))
      .catch((err: unknown) => this.options.logger.warn({ err: String(err) }, 'push subscriptions: re-reading from the store failed'));
  }

  /** Another node (or this one) changed a subscription: hold it as the store now has it. */
  private async rereadOne(change: PushSubscriptionChange): Promise<void> {
    const record = (await this.options.store.listPushSubscriptions(change.user)).find((r) => r.id === change.id);
    this.adopt(change.id, record);
  }

  /** After a resync: every stored subscription held as stored, those gone forgotten. */
  private async rereadAll(): Promise<void> {
    const all = await this.options.store.listPushSubscriptions();
    const stored = new Set(all.map((r) => r.id));
    for (const live of [...this.live.values()]) if (!stored.has(live.record.id)) this.forget(live);
    for (const record of all) this.adopt(record.id, record);
  }

  private adopt(id: string, record: PushSubscriptionRecord | undefined): void {
    if (!this.running) return;
    const live = this.live.get(id);
    if (!record || record.expires.getTime() <= Date.now()) {
      if (live) this.forget(live);
      return;
    }
    if (!live) {
      // Created elsewhere: that node sends the PushVerification.
      this.register(record, false);
      return;
    }
    const wasVerified = live.record.verified;
    live.record = record;
    if (record.verified) live.verificationDue = false;
    this.verifiedNow(live, wasVerified);
  }

  /**
   * A subscription just verified sends what changed while it was not. The code may have been set on
   * another node, and this node learns it only when it re-reads the announcement: a change made here
   * in between is pushed by this node alone (each node pushes its own changes), so it must not be lost.
   */
  private verifiedNow(live: Live, wasVerified: boolean): void {
    if (!wasVerified && live.record.verified && live.pending.size > 0) this.schedule(live, this.timing.coalesceMs);
  }

  private register(record: PushSubscriptionRecord, verify: boolean): void {
    const live: Live = { record, pending: new Map(), verificationDue: verify, sending: false, timer: undefined, attempts: 0, abort: new AbortController() };
    this.live.set(record.id, live);
    let watcher = this.watchers.get(record.user);
    if (!watcher) {
      const ids = new Set<string>();
      watcher = { ids, stop: this.options.watch(record.user, (change) => this.changed(ids, change)) };
      this.watchers.set(record.user, watcher);
    }
    watcher.ids.add(record.id);
    if (verify) this.schedule(live, 0);
  }

  private forget(live: Live): void {
    if (live.timer) clearTimeout(live.timer);
    live.timer = undefined;
    live.abort.abort();
    this.live.delete(live.record.id);
    const watcher = this.watchers.get(live.record.user);
    if (watcher) {
      watcher.ids.delete(live.record.id);
      if (watcher.ids.size === 0) {
        watcher.stop();
        this.watchers.delete(live.record.user);
      }
    }
  }

  private changed(ids: ReadonlySet<string>, change: StateChange): void {
    for (const id of ids) {
      const live = this.live.get(id);
      if (!live) continue;
      const types = live.record.types;
      let any = false;
      for (const [accountId, states] of Object.entries(change.changed)) {
        for (const [type, state] of Object.entries(states)) {
          if (types !== null && !types.includes(type)) continue;
          let account = live.pending.get(accountId);
          if (!account) live.pending.set(accountId, (account = new Map()));
          account.set(type, state);
          any = true;
        }
      }
      // Held, not sent, until verified (RFC 8620 §7.2: nothing but the PushVerification before
      // that); at most one state per account and type, so an unverified subscription stays small.
      if (any && live.record.verified) this.schedule(live, this.timing.coalesceMs);
    }
  }

  /** Sends the next message after `delayMs`, unless a send is already due or running. */
  private schedule(live: Live, delayMs: number): void {
    if (live.timer || live.sending || !this.running) return;
    live.timer = setTimeout(() => {
      live.timer = undefined;
      void this.run(live);
    }, delayMs);
    live.timer.unref();
  }

  private take(live: Live): Payload | undefined {
    if (live.verificationDue) return { kind: 'verification' };
    if (!live.record.verified || live.pending.size === 0) return undefined;
    const changed = live.pending;
    live.pending = new Map();
    return { kind: 'state', changed };
  }

  /** A failed message goes back under what arrived meanwhile (newer states win). */
  private putBack(live: Live, payload: Payload): void {
    if (payload.kind === 'verification') return;
    for (const [accountId, states] of payload.changed) {
      let account = live.pending.get(accountId);
      if (!account) live.pending.set(accountId, (account = new Map()));
      for (const [type, state] of states) if (!account.has(type)) account.set(type, state);
    }
  }

  private body(live: Live, payload: Payload): PushMessage {
    const object =
      payload.kind === 'verification'
        ? { '@type': 'PushVerification', pushSubscriptionId: live.record.id, verificationCode: live.record.verificationCode }
        : { '@type': 'StateChange', changed: Object.fromEntries([...payload.changed].map(([a, s]) => [a, Object.fromEntries(s)])) };
    const json = Buffer.from(JSON.stringify(object));
    const keys = live.record.keys;
    return {
      body: keys ? encryptWebPush(json, keys) : json,
      encrypted: keys !== null,
      ttlSeconds: payload.kind === 'verification' ? VERIFICATION_TTL_SECONDS : STATE_TTL_SECONDS,
    };
  }

  private async run(live: Live): Promise<void> {
    if (this.live.get(live.record.id) !== live) return;
    if (live.record.expires.getTime() <= Date.now()) {
      await this.drop(live, 'expired');
      return;
    }
    if (this.inFlight >= this.timing.maxConcurrent) {
      this.schedule(live, this.timing.coalesceMs);
      return;
    }
    const payload = this.take(live);
    if (!payload) return;
    live.sending = true;
    this.inFlight++;
    let outcome: SendOutcome;
    try {
      if (this.options.isRevoked && (await this.options.isRevoked(live.record.user, live.record.binding))) {
        outcome = { kind: 'gone', status: 0 };
      } else {
        outcome = await sendPush(live.record.url, this.body(live, payload), {
          policy: { allowPrivate: this.options.settings.allowPrivate },
          timeoutMs: this.timing.timeoutMs,
          signal: live.abort.signal,
        });
      }
    } catch (err) {
      outcome = { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
    } finally {
      this.inFlight--;
      live.sending = false;
    }
    if (this.live.get(live.record.id) !== live) return;
    const log = { pushSubscriptionId: live.record.id, user: live.record.user, message: payload.kind };
    let delay = this.timing.coalesceMs;
    switch (outcome.kind) {
      case 'delivered':
        live.attempts = 0;
        if (payload.kind === 'verification') live.verificationDue = false;
        break;
      case 'gone':
        this.options.logger.info({ ...log, status: outcome.status }, 'push subscription gone or revoked: destroyed');
        await this.drop(live, 'gone');
        return;
      case 'retry':
        live.attempts++;
        if (live.attempts >= this.timing.maxAttempts) {
          this.options.logger.warn({ ...log, reason: outcome.reason, attempts: live.attempts }, 'push message dropped after retries');
          live.attempts = 0;
          if (payload.kind === 'verification') live.verificationDue = false;
        } else {
          this.putBack(live, payload);
          const backoff = Math.min(this.timing.backoffMs * 2 ** (live.attempts - 1), this.timing.maxBackoffMs);
          delay = Math.min(Math.max(backoff, outcome.retryAfterMs ?? 0), MAX_RETRY_AFTER_MS);
        }
        break;
      case 'failed':
        this.options.logger.warn({ ...log, reason: outcome.reason }, 'push message refused: dropped');
        live.attempts = 0;
        if (payload.kind === 'verification') live.verificationDue = false;
        break;
    }
    if (live.verificationDue || (live.record.verified && live.pending.size > 0)) this.schedule(live, delay);
  }

  private async drop(live: Live, why: string): Promise<void> {
    try {
      await this.destroy([live.record.id]);
    } catch (err) {
      this.options.logger.warn({ err, pushSubscriptionId: live.record.id, why }, 'push subscription could not be destroyed');
    }
  }

  /**
   * RFC 8620 §7.2: revoked credentials destroy their subscriptions. As session control reads a
   * revocation: the union of the user, the OP session (sid, else the subject) it names; a revoked
   * access token (jti) alone leaves them, since they are bound to the session, not one token.
   */
  private async revoked(event: SessionRevokedEvent & { subject?: string }): Promise<void> {
    // A delegation taken back ends a delegate's sessions as the user, never the user's own
    // subscriptions (JMAP has no delegated login, so no subscription is a delegate's).
    if (event.actor !== undefined) return;
    const sameIssuer = (b: PushCredentialBinding): boolean => !event.issuer || b.issuer === event.issuer;
    const ids: string[] = [];
    for (const { record } of this.live.values()) {
      const b = record.binding;
      const hit =
        (event.user !== undefined && record.user.toLowerCase() === event.user.toLowerCase()) ||
        (event.sid !== undefined && b.sid === event.sid && sameIssuer(b)) ||
        (event.sid === undefined && event.subject !== undefined && b.subject === event.subject && sameIssuer(b));
      if (hit) ids.push(record.id);
    }
    if (ids.length === 0) return;
    try {
      await this.destroy(ids);
    } catch (err) {
      this.options.logger.warn({ err }, 'push subscriptions of revoked credentials could not be destroyed');
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    const expired = [...this.live.values()].filter((l) => l.record.expires.getTime() <= now && !l.sending).map((l) => l.record.id);
    if (expired.length === 0) return;
    try {
      await this.destroy(expired);
    } catch (err) {
      this.options.logger.warn({ err }, 'expired push subscriptions could not be destroyed');
    }
  }
}
