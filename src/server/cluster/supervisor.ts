// The primary of `server.processes` > 1: it owns no listener, store or session, only the workers.
// It starts them (the first alone, so that migrations, the generated certificate and the demo user
// are made once, then the others together), relays their event-bus payloads to each other, restarts
// one that dies (after a delay that doubles while it keeps dying), replaces them one at a time on
// reload (a new worker is ready before the old one stops, so the listeners never close), passes a
// worker's questions to all (their metrics, their sessions: gather.ts) and, on stop, asks every
// worker to stop gracefully and waits for the last one.
//
// Listeners are shared by node:cluster: a worker's listen() is handed to the primary, which binds
// the address once and shares the listening socket with every worker; each worker accepts from it
// itself, and the kernel gives a connection to whichever worker is ready first (SCHED_NONE). Node's
// default on Linux, round-robin, has the primary accept every connection and pass it on: under
// bench/compare's OAUTHBEARER login+SELECT+LOGOUT load at 2 processes the primary then used 15% of
// a core (1 tick in 5 s without it), and a login 1.23-1.32 ms of CPU against 1.00-1.29 ms on this
// noisy machine. An idle server still spreads held connections evenly (60 logins one after another:
// 32 and 28), and a busy worker, slower to accept, gets fewer. NODE_CLUSTER_SCHED_POLICY=rr in the
// environment brings round-robin back. Node fixes the policy at the first cluster.setupPrimary() or
// fork(), so the supervisor makes that first call itself and refuses to start after anyone else's
// (bench/compare once made it first, and so measured round-robin).
import cluster, { type ClusterSettings, type Worker } from 'node:cluster';
import type { Logger } from '../../log/logger.js';
import { asClusterMessage, WORKER_SLOT_ENV, type ClusterMessage } from './messages.js';
import { WorkerGatherer } from './gather.js';

export interface SupervisorOptions {
  processes: number;
  logger: Logger;
  /** Seconds a worker gets to finish in-flight commands when stopped (settings.shutdownTimeout). */
  shutdownTimeoutSeconds: number;
  /** First delay before restarting a worker that died (default 1 s); doubled while it keeps dying. */
  restartDelayMs?: number;
  /** What the workers run, when not this process's own program and arguments (bench/compare). */
  fork?: Pick<ClusterSettings, 'exec' | 'args' | 'execArgv'>;
}

const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying was not crash-looping: its replacement starts at once-ish. */
const STABLE_AFTER_MS = 60_000;
/** Past the shutdown timeout, how long a worker has to exit before it is killed. */
const KILL_GRACE_MS = 15_000;

export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

interface Slot {
  worker: Worker | undefined;
  delayMs: number;
  readyAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class Supervisor {
  private readonly slots = new Map<number, Slot>();
  private readonly baseDelay: number;
  private readonly gatherer: WorkerGatherer;
  private stopping: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  private started = false;

  constructor(private readonly options: SupervisorOptions) {
    this.baseDelay = options.restartDelayMs ?? 1000;
    this.gatherer = new WorkerGatherer(options.logger);
  }

  /** Starts every worker; rejects (after stopping those started) when one cannot start. */
  async start(): Promise<void> {
    // setupPrimary() fills cluster.settings (exec at least): once it has, the policy is fixed.
    if (cluster.settings.exec !== undefined) throw new WorkerStartError('cluster.setupPrimary() was called before the supervisor chose how workers accept connections; pass the workers\' program in SupervisorOptions.fork instead');
    if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary(this.options.fork ?? {});
    for (let n = 1; n <= this.options.processes; n++) this.slots.set(n, { worker: undefined, delayMs: this.baseDelay, readyAt: 0, timer: undefined });
    try {
      await this.spawn(1);
      await Promise.all([...this.slots.keys()].filter((n) => n !== 1).map((n) => this.spawn(n)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.started = true;
    this.options.logger.info({ processes: this.options.processes }, 'every server process is ready');
  }

  /** Replaces the workers one at a time (each new one ready before the old one stops). */
  reload(): Promise<void> {
    if (this.stopping || !this.started) return Promise.resolve();
    this.reloading ??= (async () => {
      this.options.logger.info('reloading: replacing the server processes one at a time');
      for (const n of [...this.slots.keys()]) {
        if (this.stopping) return;
        const old = this.slots.get(n)?.worker;
        try {
          await this.spawn(n);
        } catch (err) {
          this.options.logger.error({ slot: n, err: (err as Error).message }, 'reload: the new server process did not start; the old one keeps serving');
          continue;
        }
        if (old) await this.stopWorker(old);
      }
      this.options.logger.info('reload done');
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** Asks every worker to stop gracefully and resolves when all have exited. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.reloading?.catch(() => undefined);
      for (const slot of this.slots.values()) clearTimeout(slot.timer);
      await Promise.all([...Object.values(cluster.workers ?? {})].map((w) => (w ? this.stopWorker(w) : undefined)));
    })();
    return this.stopping;
  }

  /** Pids of the current workers by slot (for logs and tests). */
  pids(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [n, slot] of this.slots) if (slot.worker?.process.pid !== undefined) out.set(n, slot.worker.process.pid);
    return out;
  }

  /**
   * Forks a worker for slot `n`; once it is ready it becomes the slot's current one (until then the
   * worker it replaces, if any, stays current). Rejects when it exits before it is ready.
   */
  private spawn(n: number): Promise<Worker> {
    const slot = this.slots.get(n)!;
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(n) });
    const logger = this.options.logger;
    return new Promise<Worker>((resolve, reject) => {
      let ready = false;
      worker.on('message', (raw: unknown) => {
        const message = asClusterMessage(raw);
        if (!message) return;
        if (message.tessera === 'ready' && !ready) {
          ready = true;
          slot.worker = worker;
          slot.readyAt = Date.now();
          logger.info({ slot: n, pid: worker.process.pid }, 'server process ready');
          resolve(worker);
        } else if (message.tessera === 'events') this.relay(worker, message);
        else if (message.tessera === 'gather') this.gatherer.gather(worker, message, this.liveWorkers());
        else if (message.tessera === 'gather-reply') this.gatherer.reply(worker, message);
      });
      worker.on('exit', (code, signal) => {
        this.gatherer.forget(worker);
        if (!ready) reject(new WorkerStartError(`server process ${n} exited before it was ready (${signal ?? `exit code ${code}`})`));
        else this.exited(n, worker, code, signal);
      });
    });
  }

  /** Every worker that runs, ready or not, current or being replaced. */
  private liveWorkers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  /** Hands a worker's events to every other live worker, in the order they came. */
  private relay(from: Worker, message: ClusterMessage): void {
    for (const worker of this.liveWorkers()) {
      if (worker === from || !worker.isConnected()) continue;
      try {
        worker.send(message);
      } catch (err) {
        // The worker is going away: its replacement starts from the store, not from events.
        this.options.logger.debug({ pid: worker.process.pid, err: (err as Error).message }, 'event relay: server process unreachable');
      }
    }
  }

  /** A ready worker exited: when it was its slot's current one and the server runs on, restart the slot. */
  private exited(n: number, worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slots.get(n)!;
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (this.stopping || !this.started) return;
    if (Date.now() - slot.readyAt > STABLE_AFTER_MS) slot.delayMs = this.baseDelay;
    this.options.logger.error({ slot: n, pid: worker.process.pid, code, signal, restartInMs: slot.delayMs }, 'server process died; restarting it');
    this.restartLater(n);
  }

  /** Starts slot `n` again after its current delay, doubled for the next time; a failed start tries again. */
  private restartLater(n: number): void {
    const slot = this.slots.get(n)!;
    const delay = slot.delayMs;
    slot.delayMs = Math.min(slot.delayMs * 2, MAX_RESTART_DELAY_MS);
    const logger = this.options.logger;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      // Stopping, or a reload already gave the slot a new worker.
      if (this.stopping || slot.worker) return;
      this.spawn(n).catch((err: unknown) => {
        logger.error({ slot: n, err: (err as Error).message, restartInMs: slot.delayMs }, 'server process could not start; trying again');
        if (!this.stopping && !slot.worker) this.restartLater(n);
      });
    }, delay);
  }

  /** Graceful stop of one worker, killed if it outlives the shutdown timeout by KILL_GRACE_MS. */
  private stopWorker(worker: Worker): Promise<void> {
    if (worker.isDead()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        this.options.logger.error({ pid: worker.process.pid }, 'server process did not stop in time; killing it');
        worker.process.kill('SIGKILL');
      }, this.options.shutdownTimeoutSeconds * 1000 + KILL_GRACE_MS);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      try {
        worker.send({ tessera: 'stop' } satisfies ClusterMessage);
      } catch {
        worker.process.kill('SIGTERM');
      }
    });
  }
}
