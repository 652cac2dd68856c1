// A worker's side of /metrics with `server.processes` > 1 (the primary's side: metrics-gather.ts).
// Every worker answers the primary's requests for its series, whatever it serves itself; the one
// that answers a scrape asks the primary for every worker's series added up instead of rendering
// its own.
import { metrics } from '../../core/metrics.js';
import type { Logger } from '../../log/logger.js';
import { GATHER_TIMEOUT_MS } from './metrics-gather.js';
import { asClusterMessage, type ClusterMessage, type IpcChannel, type MetricsGatheredMessage } from './messages.js';

/** The primary did not send the cluster's metrics (its channel closed, or it did not answer in time). */
export class ClusterMetricsError extends Error {
  override readonly name = 'ClusterMetricsError';
}

/** Past the primary's own wait for the workers: its answer, even a partial one, comes before this. */
const RENDER_TIMEOUT_MS = GATHER_TIMEOUT_MS + 3000;

export class WorkerMetrics {
  private lastId = 0;
  private readonly waiting = new Map<number, (message: MetricsGatheredMessage) => void>();
  private readonly onMessage = (raw: unknown): void => this.received(raw);

  constructor(
    private readonly channel: IpcChannel,
    private readonly logger: Logger,
  ) {
    channel.on('message', this.onMessage);
  }

  /** The exposition text of every worker together. */
  render(): Promise<string> {
    const id = ++this.lastId;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ClusterMetricsError(`the supervising process did not send the server processes' metrics within ${RENDER_TIMEOUT_MS} ms`));
      }, RENDER_TIMEOUT_MS);
      this.waiting.set(id, (message) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if ('text' in message) resolve(message.text);
        else reject(new ClusterMetricsError(message.error));
      });
      if (!this.send({ tessera: 'metrics-gather', id })) this.waiting.get(id)!({ tessera: 'metrics-gathered', id, error: 'the supervising process cannot be reached' });
    });
  }

  stop(): void {
    this.channel.off('message', this.onMessage);
    for (const [id, answer] of [...this.waiting]) answer({ tessera: 'metrics-gathered', id, error: 'this server process is stopping' });
  }

  private received(raw: unknown): void {
    const message = asClusterMessage(raw);
    if (message?.tessera === 'metrics-gathered') this.waiting.get(message.id)?.(message);
    else if (message?.tessera === 'metrics-request') {
      const { id } = message;
      metrics.snapshot().then(
        (snapshot) => this.send({ tessera: 'metrics-reply', id, snapshot }),
        (err: unknown) => this.logger.warn({ err: (err as Error).message }, '/metrics: cannot read this server process’s series'),
      );
    }
  }

  private send(message: ClusterMessage): boolean {
    if (this.channel.connected === false || !this.channel.send) return false;
    try {
      this.channel.send(message);
      return true;
    } catch {
      return false;
    }
  }
}
