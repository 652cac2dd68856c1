// The primary's part of a /metrics scrape with `server.processes` > 1. Whichever worker answers the
// scrape (the control listener is the first worker's, JMAP's is any worker's) asks the primary,
// which asks every live worker for its series, adds them up (core/metrics.ts renderAggregated) and
// sends the text back. So a scrape counts every worker's connections, logins and deliveries, not
// those of the worker that happened to answer. A worker that does not answer in time (stopping,
// stuck) is left out of that scrape rather than failing it, and the omission is logged.
import type { Worker } from 'node:cluster';
import { renderAggregated, type MetricsSnapshot } from '../../core/metrics.js';
import type { Logger } from '../../log/logger.js';
import type { ClusterMessage, MetricsReplyMessage } from './messages.js';

/** How long a scrape waits for the workers' series. Prometheus' default scrape timeout is 10 s. */
export const GATHER_TIMEOUT_MS = 5000;

interface Gathering {
  readonly waiting: Set<Worker>;
  readonly snapshots: MetricsSnapshot[];
  readonly finish: () => void;
}

export class MetricsGatherer {
  private readonly gatherings = new Map<number, Gathering>();
  private lastId = 0;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = GATHER_TIMEOUT_MS,
  ) {}

  /** `from` asked for the cluster's metrics under its own `id`; `workers` are the live ones. */
  gather(from: Worker, id: number, workers: readonly Worker[]): void {
    const gatherId = ++this.lastId;
    const waiting = new Set(workers.filter((w) => w.isConnected()));
    const snapshots: MetricsSnapshot[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!this.gatherings.delete(gatherId)) return;
      clearTimeout(timer);
      if (waiting.size > 0) {
        this.logger.warn({ pids: [...waiting].map((w) => w.process.pid), timeoutMs: this.timeoutMs }, '/metrics: server processes did not answer in time; left out of this scrape');
      }
      renderAggregated(snapshots).then(
        (text) => send(from, { tessera: 'metrics-gathered', id, text }),
        (err: unknown) => {
          const error = `cannot add up the server processes' series: ${(err as Error).message}`;
          this.logger.error({ err: error }, '/metrics failed');
          send(from, { tessera: 'metrics-gathered', id, error });
        },
      );
    };
    this.gatherings.set(gatherId, { waiting, snapshots, finish });
    timer = setTimeout(finish, this.timeoutMs);
    for (const worker of [...waiting]) {
      if (!send(worker, { tessera: 'metrics-request', id: gatherId })) waiting.delete(worker);
    }
    if (waiting.size === 0) finish();
  }

  /** A worker's series for gathering `message.id`. */
  reply(worker: Worker, message: MetricsReplyMessage): void {
    const gathering = this.gatherings.get(message.id);
    if (!gathering || !gathering.waiting.delete(worker)) return;
    gathering.snapshots.push(message.snapshot);
    if (gathering.waiting.size === 0) gathering.finish();
  }

  /** A worker exited: no gathering waits for it any longer. */
  forget(worker: Worker): void {
    for (const gathering of [...this.gatherings.values()]) {
      if (gathering.waiting.delete(worker) && gathering.waiting.size === 0) gathering.finish();
    }
  }
}

/** False when the worker's channel is already closed (it is stopping). */
function send(worker: Worker, message: ClusterMessage): boolean {
  if (!worker.isConnected()) return false;
  try {
    worker.send(message);
    return true;
  } catch {
    return false;
  }
}
