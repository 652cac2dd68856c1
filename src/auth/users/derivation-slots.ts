// How many scrypt derivations run at once. Each takes a thread of libuv's pool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise) for tens of milliseconds, and that pool also does the server's
// file I/O: the fsyncs that make a delivered message durable, spool and blob reads and writes. With
// every thread deriving (a mail client opening connections, many users logging in after a restart),
// an SMTP submission waited seconds for its fsync. Derivations beyond the slots wait here, in order,
// and the threads left over stay free for file I/O.

/** libuv's thread pool size for this process. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/** Threads of the pool never taken by password hashing. */
export const THREADS_KEPT_FOR_IO = 2;

export class DerivationSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly slots: number) {}

  /** Derivations running now (tests, diagnostics). */
  get active(): number {
    return this.running;
  }

  /** Runs `derive` once a slot is free, in arrival order. */
  async run<T>(derive: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await derive();
    } finally {
      // The slot passes to the next in line directly, so it cannot be overtaken.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The slots every password derivation of the process shares. */
export const sharedDerivationSlots = new DerivationSlots(Math.max(1, threadPoolSize() - THREADS_KEPT_FOR_IO));
