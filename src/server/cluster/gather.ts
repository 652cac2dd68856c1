// The supervisor's part of a question one worker asks every worker (`server.processes` > 1): their
// metrics for a /metrics scrape, their live sessions for `tessera sessions list` and WebAdmin, or
// that the one holding a session end it (messages.ts GatherKind). The supervisor passes the question
// to every live worker, the asker included, and sends the answers that came back to the asker, which
// makes one answer of them (worker-gather.ts). So the first worker, which serves the control
// listener, WebAdmin and admin.sock, speaks for the whole server. A worker that does not answer in
// time (stopping, stuck) is left out rather than failing the question, and the omission is logged.
import type { Worker } from 'node:cluster';
import type { Logger } from '../../log/logger.js';
import type { ClusterMessage, GatherMessage, GatherReplyMessage } from './messages.js';

/** How long the supervisor waits for the workers' answers. Prometheus' default scrape timeout is 10 s. */
export const GATHER_TIMEOUT_MS = 5000;

interface Gathering {
  readonly waiting: Set<Worker>;
  readonly parts: unknown[];
  readonly finish: () => void;
}

export class WorkerGatherer {
  private readonly gatherings = new Map<number, Gathering>();
  private lastId = 0;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = GATHER_TIMEOUT_MS,
  ) {}

  /** `from` asked `question`; `workers` are the live ones. */
  gather(from: Worker, question: GatherMessage, workers: readonly Worker[]): void {
    const gatherId = ++this.lastId;
    const waiting = new Set(workers.filter((w) => w.isConnected()));
    const parts: unknown[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!this.gatherings.delete(gatherId)) return;
      clearTimeout(timer);
      if (waiting.size > 0) {
        this.logger.warn({ what: question.what, pids: [...waiting].map((w) => w.process.pid), timeoutMs: this.timeoutMs }, 'server processes did not answer in time; left out');
      }
      send(from, { tessera: 'gathered', id: question.id, parts });
    };
    this.gatherings.set(gatherId, { waiting, parts, finish });
    timer = setTimeout(finish, this.timeoutMs);
    const request: ClusterMessage = { tessera: 'gather-request', id: gatherId, what: question.what, ...('arg' in question ? { arg: question.arg } : {}) };
    for (const worker of [...waiting]) if (!send(worker, request)) waiting.delete(worker);
    if (waiting.size === 0) finish();
  }

  /** A worker's answer to gathering `message.id`. */
  reply(worker: Worker, message: GatherReplyMessage): void {
    const gathering = this.gatherings.get(message.id);
    if (!gathering || !gathering.waiting.delete(worker)) return;
    if (message.part !== null) gathering.parts.push(message.part);
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
