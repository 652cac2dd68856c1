// The outbound queue worker. Claims due items from the store's durable queue under a lease (so a
// crash mid-delivery only delays a message until the lease expires, and several nodes can share one
// queue), delivers each recipient domain through its next hops over pooled connections, records
// per-recipient outcomes, and sends the sender one RFC 3464 DSN per attempt for what the recipients'
// NOTIFY asks for (RFC 3461 §4.1): final failures, a delay once the message has waited
// `delayReportAfterMs`, and "relayed" for a hop that does not offer DSN.
import { deliveriesTotal } from '../metrics.js';
import { hostname as osHostname } from 'node:os';
import type { Logger } from '../../log/logger.js';
import type { DeliveryAttempt, OutboundItem, OutboundQueue } from '../../store/types.js';
import { orcptOf, wantsReport, type DsnRecipientReport, type ReportContext } from '../dsn.js';
import { NextHopResolver, type NextHopOptions } from './next-hop.js';
import { HopConnectionPool, type PoolOptions } from './connection-pool.js';
import { deliverDomain, type RecipientResult } from './domain-delivery.js';
import { openQueued } from './queued-message.js';
import { MtaStsPolicies } from './mta-sts.js';
import { DEFAULT_RETRY_DELAYS_MS, nextAttempt } from './retry.js';

/** A short lease, renewed while delivering: a node killed mid-delivery holds its items this long at most. */
export const DEFAULT_LEASE_MS = 60_000;

/** RFC 3461 §4.1 leaves the delay threshold to the MTA; Postfix users commonly set 4 hours. */
export const DEFAULT_DELAY_REPORT_AFTER_MS = 4 * 60 * 60_000;

export interface OutboundWorkerOptions extends NextHopOptions {
  store: OutboundQueue;
  logger: Logger;
  /** EHLO name and DSN reporting host. */
  hostname: string;
  /** Sends a DSN about these recipients (the delivery service's report). */
  report: (sender: string, recipients: DsnRecipientReport[], original: Buffer, arrivalDate: Date, context: ReportContext) => Promise<void>;
  pollIntervalMs?: number;
  /**
   * How long a claimed item stays this worker's without news (default 1 min). The worker renews the
   * lease every third of it while it delivers, so only a dead or cut-off node's items pass to another
   * node, after at most this long.
   */
  leaseMs?: number;
  /** Items delivered in parallel. */
  concurrency?: number;
  retryDelaysMs?: readonly number[];
  /** Connection/greeting timeout per hop. */
  timeoutMs?: number;
  /** Connection reuse per next hop. */
  pool?: PoolOptions;
  /** How long a message waits before recipients asking for delay reports get one (0: never). */
  delayReportAfterMs?: number;
  /** Extra trust anchors when a hop's certificate must be verified (a private CA; tests). */
  tlsCa?: Buffer[];
  /** Apply recipient domains' MTA-STS policies to MX delivery (RFC 8461; default true). */
  mtaSts?: boolean;
  /** Port of MTA-STS policy hosts (443; tests use another). */
  mtaStsPort?: number;
  now?: () => Date;
}

let workerCounter = 0;

export class OutboundWorker {
  private readonly owner = `${osHostname()}:${process.pid}:${++workerCounter}`;
  private readonly resolver: NextHopResolver;
  /** Connections kept open per next hop between messages. */
  readonly pool: HopConnectionPool;
  private readonly mtaSts: MtaStsPolicies | undefined;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopped = true;

  constructor(private readonly options: OutboundWorkerOptions) {
    this.resolver = new NextHopResolver(options);
    this.pool = new HopConnectionPool(options.pool);
    const lookup = this.resolver.lookup();
    this.mtaSts =
      options.mtaSts === false
        ? undefined
        : new MtaStsPolicies({
            resolveTxt: (name) => this.resolver.resolveTxt(name),
            ...(lookup ? { lookup } : {}),
            ...(options.tlsCa ? { ca: options.tlsCa } : {}),
            ...(options.mtaStsPort !== undefined ? { port: options.mtaStsPort } : {}),
            timeoutMs: options.timeoutMs ?? 30_000,
          });
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** Something was queued: run now instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((err: unknown) => this.options.logger.error({ err }, 'outbound queue run failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.wakeRequested) {
          this.wakeRequested = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.options.pollIntervalMs ?? 30_000);
          this.timer.unref();
        }
      });
  }

  /** Stops polling and waits for the attempts in progress to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.pool.closeIdle();
  }

  /** Claims and attempts every due item once. Returns how many items were attempted. */
  async runOnce(): Promise<number> {
    let total = 0;
    const limit = this.options.concurrency ?? 8;
    for (;;) {
      const items = await this.options.store.claimOutbound({
        owner: this.owner,
        leaseMs: this.leaseMs,
        limit,
        now: this.now(),
      });
      if (items.length === 0) return total;
      total += items.length;
      await Promise.all(items.map((item) => this.leased(item, () => this.attempt(item))));
      if (this.stopped) return total;
    }
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /**
   * Runs one item's attempt while renewing its lease, so a slow hop never lets another node deliver
   * the same message in parallel. A renewal that finds the lease gone (this node was cut off longer
   * than the lease) is logged: another node may then deliver it too, and this attempt's record fails.
   */
  private async leased(item: OutboundItem, attempt: () => Promise<void>): Promise<void> {
    const every = Math.max(50, Math.floor(this.leaseMs / 3));
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing
        .then(() => this.options.store.renewOutboundLease(item.id, this.owner, this.leaseMs, this.now()))
        .then((held) => {
          if (!held) this.options.logger.warn({ outbound: item.id }, 'outbound lease lost while delivering; another node may deliver this message too');
        })
        .catch((err: unknown) => this.options.logger.warn({ outbound: item.id, err }, 'could not renew the outbound lease'));
    }, every);
    timer.unref();
    try {
      await attempt();
    } finally {
      clearInterval(timer);
      await renewing;
    }
  }

  private async attempt(item: OutboundItem): Promise<void> {
    const log = this.options.logger.child({ outbound: item.id });
    // Relayed from the store a chunk at a time (./queued-message.ts), never read whole.
    const message = await openQueued(this.options.store, item.id);
    if (!message) {
      log.error('queued message bytes missing; giving up');
      await this.options.store.recordDeliveryAttempt(item.id, this.owner, {
        results: item.recipients
          .filter((r) => r.status === 'pending')
          .map((r) => ({ address: r.address, outcome: 'failed', response: 'message lost' })),
        nextAttemptAt: null,
        error: 'message bytes missing',
      });
      return;
    }
    const pending = item.recipients.filter((r) => r.status === 'pending');
    const byDomain = new Map<string, typeof pending>();
    for (const r of pending) {
      const at = r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase();
      // Through a smarthost every domain takes the same hop: one transaction for all recipients.
      const domain = this.options.smarthost && !this.options.routes?.[at] ? '' : at;
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), r]);
    }
    const context = {
      resolver: this.resolver,
      pool: this.pool,
      name: this.options.hostname,
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(this.options.tlsCa ? { ca: this.options.tlsCa } : {}),
      ...(this.mtaSts ? { mtaSts: this.mtaSts } : {}),
      logger: log,
    };
    const outcomes = await Promise.all([...byDomain].map(([domain, rcpts]) => deliverDomain(context, item, domain, rcpts, message)));
    const found = outcomes.flatMap((o) => o.results);
    const errors = outcomes.flatMap((o) => o.errors);
    const attempts = item.attempts + 1;
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const anyDeferred = found.some((r) => r.outcome === 'deferred');
    const now = this.now();
    const retryAt = anyDeferred ? nextAttempt(attempts, now, delays) : null;
    if (anyDeferred && retryAt === null) {
      // Out of retries: the deferred recipients fail for good.
      for (const r of found) {
        if (r.outcome !== 'deferred') continue;
        r.outcome = 'failed';
        r.status = '4.4.7';
        r.diagnosticType = 'smtp';
      }
    }
    const reports = this.reportsFor(item, found, now, delays);
    const results: DeliveryAttempt['results'] = found.map((r) => ({
      address: r.address,
      outcome: r.outcome,
      response: r.response,
      ...(reports.some((p) => p.action === 'delayed' && p.address === r.address) ? { delayReported: true } : {}),
    }));
    for (const r of results) deliveriesTotal.inc({ kind: 'outbound', outcome: r.outcome });
    // Read before the attempt is recorded: a finished item's bytes may go with it. RFC 8689 §5: a
    // REQUIRETLS message's content is not sent back in a report that may travel in clear. A message
    // over QUEUED_WINDOW goes back as its headers alone (as Postfix's bounce_size_limit does).
    const returned = reports.length === 0 ? undefined : await message.original(item.envelope.ret === 'FULL' && !item.envelope.requireTls).catch((err: unknown) => {
      log.error({ err }, 'could not read the message for its DSN; its headers go back alone');
      return { bytes: message.head, full: false };
    });
    await this.options.store.recordDeliveryAttempt(item.id, this.owner, {
      results,
      nextAttemptAt: retryAt,
      error: errors.length > 0 ? errors.join('; ').slice(0, 1000) : undefined,
    });
    const count = (o: RecipientResult['outcome']): number => found.filter((r) => r.outcome === o).length;
    log.info({ attempt: attempts, delivered: count('delivered'), deferred: count('deferred'), failed: count('failed'), reported: reports.length }, 'outbound attempt');
    if (returned !== undefined) {
      try {
        await this.options.report(item.sender, reports, returned.bytes, item.createdAt, {
          ...(returned.full ? { ret: 'FULL' } : {}),
          ...(item.envelope.envid !== undefined ? { envid: item.envelope.envid } : {}),
        });
      } catch (err) {
        log.error({ err }, 'could not send DSN');
      }
    }
  }

  /** What this attempt reports to the sender, per each recipient's NOTIFY. */
  private reportsFor(item: OutboundItem, found: RecipientResult[], now: Date, delays: readonly number[]): DsnRecipientReport[] {
    const delayAfter = this.options.delayReportAfterMs ?? DEFAULT_DELAY_REPORT_AFTER_MS;
    const waited = now.getTime() - item.createdAt.getTime();
    const reports: DsnRecipientReport[] = [];
    for (const r of found) {
      const rcpt = item.recipients.find((x) => x.address === r.address);
      const dsn = { ...(rcpt?.notify ? { notify: rcpt.notify } : {}), ...(rcpt?.orcpt ? { orcpt: rcpt.orcpt } : {}) };
      const base = { address: r.address, ...orcptOf(dsn), ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}) };
      if (r.outcome === 'failed' && wantsReport(dsn.notify, 'failed')) {
        reports.push({ ...base, action: 'failed', status: r.status ?? '5.0.0', diagnostic: r.response, diagnosticType: r.diagnosticType ?? 'smtp' });
      } else if (r.outcome === 'delivered' && r.relayed && wantsReport(dsn.notify, 'relayed')) {
        reports.push({ ...base, action: 'relayed', status: '2.0.0', diagnostic: r.response, diagnosticType: 'smtp' });
      } else if (r.outcome === 'deferred' && delayAfter > 0 && waited >= delayAfter && !rcpt?.delayReported && wantsReport(dsn.notify, 'delayed')) {
        const until = new Date(item.createdAt.getTime() + delays.reduce((a, b) => a + b, 0));
        reports.push({ ...base, action: 'delayed', status: r.status && r.status.startsWith('4') ? r.status : '4.4.1', diagnostic: r.response, diagnosticType: 'smtp', willRetryUntil: until });
      }
    }
    return reports;
  }
}
