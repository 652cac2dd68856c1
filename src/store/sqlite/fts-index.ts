// The store's side of the full-text index worker (fts-worker.ts): pokes it after commits that
// changed email text (it reads what to do from fts_log), resolves substring queries to email ids
// (the worker catches up first, so a match sees every earlier commit), and reports how far the
// index has durably applied the log, so the store can trim it.
//
// The worker runs from the store's opening to its closing (its start-up reconciliation is done
// before the first search needs it). If it dies, pending matches fail and a new one starts, after
// a back-off or at the next request, whose start-up reconciliation reindexes whatever the dead
// one had not written.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log/logger.js';
import type { FtsQuery, FtsReply, FtsRequest, FtsWorkerData } from './fts-protocol.js';

export class FtsIndexError extends Error {
  override readonly name = 'FtsIndexError';
}

interface PendingMatch {
  resolve: (results: Float64Array[]) => void;
  reject: (error: Error) => void;
}

export class FtsIndex {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, PendingMatch>();
  private seq = 0;
  private closing: Promise<void> | null = null;
  private pokeScheduled = false;
  /** Wait before restarting a worker that died; doubles while it keeps dying, up to a minute. */
  private restartDelayMs = 1000;
  /** The index durably holds fts_log up to here (0 until the worker says). */
  appliedUpTo = 0;

  constructor(
    private readonly data: FtsWorkerData,
    private readonly logger?: Logger,
  ) {}

  /** Starts the worker (the store calls this when it opens). */
  start(): void {
    this.ensureWorker();
  }

  /** Called after a commit that wrote fts_log; pokes of one event-loop turn are sent as one. */
  poke(): void {
    if (this.pokeScheduled || this.closing) return;
    this.pokeScheduled = true;
    setImmediate(() => {
      this.pokeScheduled = false;
      this.post({ type: 'poke' });
    });
  }

  /** Email ids matching each query, after every update sent so far. */
  match(queries: FtsQuery[]): Promise<Float64Array[]> {
    if (!queries.length) return Promise.resolve([]);
    if (this.closing) return Promise.reject(new FtsIndexError('the search index is closed'));
    const seq = ++this.seq;
    return new Promise<Float64Array[]>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      // While an answer is awaited the worker keeps the process alive; otherwise it does not.
      this.post({ type: 'match', seq, queries });
      this.worker?.ref();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    const worker = this.worker;
    this.closing = worker
      ? new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.ref();
          worker.postMessage({ type: 'close' } satisfies FtsRequest);
        })
      : Promise.resolve();
    return this.closing;
  }

  private post(message: FtsRequest): void {
    if (this.closing) return;
    this.ensureWorker().postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './fts-worker.ts' : './fts-worker.js', import.meta.url);
    // From TypeScript sources (tests, TESSERA_FROM_SOURCE) the worker registers tsx itself: on
    // Node 20 a worker's entry module does not go through loaders the parent registered, even
    // with `--import tsx` in its execArgv.
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData: this.data },
        )
      : new Worker(url, { workerData: this.data });
    worker.unref();
    worker.on('message', (reply: FtsReply) => this.onReply(reply));
    worker.on('error', (error) => {
      this.logger?.error({ err: error }, 'full-text index worker failed');
      this.failAll(new FtsIndexError(`full-text index worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new FtsIndexError('full-text index worker exited'));
      if (this.closing) return;
      this.logger?.warn({ code, restartInMs: this.restartDelayMs }, 'full-text index worker exited; restarting it');
      setTimeout(() => {
        if (!this.closing) this.ensureWorker();
      }, this.restartDelayMs).unref();
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 60_000);
    });
    this.worker = worker;
    return worker;
  }

  private onReply(reply: FtsReply): void {
    switch (reply.type) {
      case 'matched':
      case 'failed': {
        const p = this.pending.get(reply.seq);
        if (!p) return;
        this.pending.delete(reply.seq);
        if (!this.pending.size) this.worker?.unref();
        if (reply.type === 'matched') p.resolve(reply.results);
        else p.reject(new FtsIndexError(`full-text search failed: ${reply.message}`));
        return;
      }
      case 'reconciled':
        this.logger?.info({ added: reply.added, removed: reply.removed }, 'full-text index reconciled with the store');
        return;
      case 'rebuilt':
        this.logger?.warn({ reason: reply.reason }, 'full-text index damaged; rebuilding it from the store');
        return;
      case 'applied':
        this.appliedUpTo = reply.upTo;
        this.restartDelayMs = 1000;
        return;
    }
  }

  private failAll(error: FtsIndexError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
