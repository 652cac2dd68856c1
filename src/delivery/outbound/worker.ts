// The outbound queue worker. Claims due items from the store's durable queue under a lease (so a
// crash mid-delivery only delays a message until the lease expires, and several nodes can share one
// queue), delivers each recipient domain through its next hops, records per-recipient outcomes, and
// sends one RFC 3464 DSN to the sender for the recipients that finally failed.
import { deliveriesTotal } from '../metrics.js';
import { hostname as osHostname } from 'node:os';
import type { Logger } from '../../log/logger.js';
import type { DeliveryAttempt, OutboundItem, OutboundQueue } from '../../store/types.js';
import type { FailedRecipient } from '../dsn.js';
import { NextHopResolver, type NextHopOptions } from './next-hop.js';
import { HopError, sendViaHop } from './smtp-client.js';
import { DEFAULT_RETRY_DELAYS_MS, nextAttempt } from './retry.js';

export interface OutboundWorkerOptions extends NextHopOptions {
  store: OutboundQueue;
  logger: Logger;
  /** EHLO name and DSN reporting host. */
  hostname: string;
  /** Sends a DSN for the given failures (the delivery service's bounce). */
  bounce: (sender: string, failed: FailedRecipient[], original: Buffer, arrivalDate: Date) => Promise<void>;
  pollIntervalMs?: number;
  leaseMs?: number;
  /** Items delivered in parallel. */
  concurrency?: number;
  retryDelaysMs?: readonly number[];
  /** Connection/greeting timeout per hop. */
  timeoutMs?: number;
  now?: () => Date;
}

interface DomainOutcome {
  results: DeliveryAttempt['results'];
  failed: FailedRecipient[];
  errors: string[];
}

let workerCounter = 0;

export class OutboundWorker {
  private readonly owner = `${osHostname()}:${process.pid}:${++workerCounter}`;
  private readonly resolver: NextHopResolver;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopped = true;

  constructor(private readonly options: OutboundWorkerOptions) {
    this.resolver = new NextHopResolver(options);
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
  }

  /** Claims and attempts every due item once. Returns how many items were attempted. */
  async runOnce(): Promise<number> {
    let total = 0;
    const limit = this.options.concurrency ?? 8;
    for (;;) {
      const items = await this.options.store.claimOutbound({
        owner: this.owner,
        leaseMs: this.options.leaseMs ?? 10 * 60_000,
        limit,
        now: this.now(),
      });
      if (items.length === 0) return total;
      total += items.length;
      await Promise.all(items.map((item) => this.attempt(item)));
      if (this.stopped) return total;
    }
  }

  private async attempt(item: OutboundItem): Promise<void> {
    const log = this.options.logger.child({ outbound: item.id });
    const bytes = await this.options.store.readOutbound(item.id);
    if (!bytes) {
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
    const pending = item.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
    const byDomain = new Map<string, string[]>();
    for (const address of pending) {
      const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), address]);
    }
    const outcomes = await Promise.all([...byDomain].map(([domain, rcpts]) => this.deliverDomain(item, domain, rcpts, bytes)));
    const results = outcomes.flatMap((o) => o.results);
    const failed = outcomes.flatMap((o) => o.failed);
    const errors = outcomes.flatMap((o) => o.errors);
    const deferred = results.filter((r) => r.outcome === 'deferred');
    const attempts = item.attempts + 1;
    const retryAt = deferred.length > 0 ? nextAttempt(attempts, this.now(), this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS) : null;
    if (deferred.length > 0 && retryAt === null) {
      // Out of retries: the deferred recipients fail for good.
      for (const r of deferred) {
        r.outcome = 'failed';
        failed.push({ address: r.address, status: '4.4.7', diagnostic: r.response ?? 'delivery time expired', diagnosticType: 'smtp' });
      }
    }
    for (const r of results) deliveriesTotal.inc({ kind: 'outbound', outcome: r.outcome });
    await this.options.store.recordDeliveryAttempt(item.id, this.owner, {
      results,
      nextAttemptAt: retryAt,
      error: errors.length > 0 ? errors.join('; ').slice(0, 1000) : undefined,
    });
    log.info(
      { attempt: attempts, delivered: results.filter((r) => r.outcome === 'delivered').length, deferred: retryAt ? deferred.length : 0, failed: failed.length },
      'outbound attempt',
    );
    if (failed.length > 0) {
      try {
        await this.options.bounce(item.sender, failed, bytes, item.createdAt);
      } catch (err) {
        log.error({ err }, 'could not send DSN');
      }
    }
  }

  private async deliverDomain(item: OutboundItem, domain: string, rcpts: string[], bytes: Buffer): Promise<DomainOutcome> {
    const out: DomainOutcome = { results: [], failed: [], errors: [] };
    const resolution = await this.resolver.resolve(domain);
    if (!resolution.ok) {
      for (const address of rcpts) {
        out.results.push({ address, outcome: resolution.permanent ? 'failed' : 'deferred', response: resolution.message });
        if (resolution.permanent) out.failed.push({ address, status: resolution.status, diagnostic: resolution.message, diagnosticType: 'x-local' });
      }
      out.errors.push(resolution.message);
      return out;
    }
    let lastError = 'no next hop';
    for (const hop of resolution.hops) {
      try {
        const result = await sendViaHop(hop, item.sender, rcpts, bytes, {
          name: this.options.hostname,
          timeoutMs: this.options.timeoutMs ?? 30_000,
        });
        for (const address of result.accepted) out.results.push({ address, outcome: 'delivered', response: result.response });
        for (const r of result.rejected) {
          const permanent = r.code >= 500;
          out.results.push({ address: r.address, outcome: permanent ? 'failed' : 'deferred', response: r.response });
          if (permanent) out.failed.push({ address: r.address, status: enhancedOf(r.response, '5.0.0'), diagnostic: r.response, remoteMta: hop.host });
        }
        return out;
      } catch (err) {
        const hopError = err instanceof HopError ? err : new HopError(String(err), undefined);
        lastError = `${hop.host}:${hop.port}: ${hopError.message}`;
        if (hopError.permanent) {
          // A 5xx to the whole transaction is the domain's answer; other MX hosts would say the same.
          for (const address of rcpts) {
            out.results.push({ address, outcome: 'failed', response: hopError.message });
            out.failed.push({ address, status: enhancedOf(hopError.message, '5.0.0'), diagnostic: hopError.message, remoteMta: hop.host });
          }
          out.errors.push(lastError);
          return out;
        }
      }
    }
    for (const address of rcpts) out.results.push({ address, outcome: 'deferred', response: lastError });
    out.errors.push(lastError);
    return out;
  }
}

function enhancedOf(response: string, fallback: string): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1] ?? fallback;
}
