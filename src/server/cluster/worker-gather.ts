// A worker's side of the questions every worker answers (`server.processes` > 1; the supervisor's
// side: gather.ts). Each worker registers what it answers (its metrics, its sessions, ending one of
// its sessions) whatever it serves itself; the worker that must speak for the whole server (the
// first: control listener, WebAdmin, admin.sock) asks, and gets every worker's answer, its own
// included.
import type { Logger } from '../../log/logger.js';
import { GATHER_TIMEOUT_MS } from './gather.js';
import { asClusterMessage, type ClusterMessage, type GatheredMessage, type GatherKind, type IpcChannel } from './messages.js';

/** The supervising process did not answer (its channel closed, or not in time). */
export class ClusterGatherError extends Error {
  override readonly name = 'ClusterGatherError';
}

/** Past the supervisor's own wait for the workers: its answer, even a partial one, comes before this. */
const ASK_TIMEOUT_MS = GATHER_TIMEOUT_MS + 3000;

/** Answers one kind of question: plain JSON (or null for nothing), from `arg` as the asker sent it. */
export type Answerer = (arg: unknown) => unknown;

export class ClusterGather {
  private lastId = 0;
  private readonly waiting = new Map<number, (message: GatheredMessage | Error) => void>();
  private readonly answerers = new Map<GatherKind, Answerer>();
  private readonly onMessage = (raw: unknown): void => this.received(raw);

  constructor(
    private readonly channel: IpcChannel,
    private readonly logger: Logger,
  ) {
    channel.on('message', this.onMessage);
  }

  /** This worker answers `what` with `answerer`; returns the function that stops it. */
  answer(what: GatherKind, answerer: Answerer): () => void {
    this.answerers.set(what, answerer);
    return () => {
      if (this.answerers.get(what) === answerer) this.answerers.delete(what);
    };
  }

  /** Every worker's answer to `what` (this one's included), as many as came in time. */
  ask(what: GatherKind, arg?: unknown): Promise<unknown[]> {
    const id = ++this.lastId;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => settle(new ClusterGatherError(`the supervising process did not answer within ${ASK_TIMEOUT_MS} ms`)), ASK_TIMEOUT_MS);
      const settle = (outcome: GatheredMessage | Error): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome.parts);
      };
      this.waiting.set(id, settle);
      if (!this.send({ tessera: 'gather', id, what, ...(arg !== undefined ? { arg } : {}) })) settle(new ClusterGatherError('the supervising process cannot be reached'));
    });
  }

  stop(): void {
    this.channel.off('message', this.onMessage);
    for (const settle of [...this.waiting.values()]) settle(new ClusterGatherError('this server process is stopping'));
  }

  private received(raw: unknown): void {
    const message = asClusterMessage(raw);
    if (message?.tessera === 'gathered') this.waiting.get(message.id)?.(message);
    else if (message?.tessera === 'gather-request') void this.reply(message.id, message.what, message.arg);
  }

  private async reply(id: number, what: GatherKind, arg: unknown): Promise<void> {
    const answerer = this.answerers.get(what);
    let part: unknown = null;
    try {
      // Not (yet) answering this: a worker still starting, or one without that service.
      if (answerer) part = (await answerer(arg)) ?? null;
    } catch (err) {
      this.logger.warn({ what, err: (err as Error).message }, 'cannot answer the other server processes');
    }
    this.send({ tessera: 'gather-reply', id, part });
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
