// Waiting in tests: for an event or for a condition, always under a deadline whose error names what
// was awaited — never a fixed sleep that hopes the server was quick enough (flaky on a loaded
// machine, slow on an idle one).

/** Rejects naming `what` when `promise` has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often a condition without an event of its own is looked at again. */
const RECHECK_MS = 10;

/**
 * Resolves with the first value of `check` that is neither undefined nor false; for state that emits
 * no event (a row in the store, a counter at a provider). Rejects naming `what` after `ms`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
  }
}

/**
 * Waiting on state that an event handler changes (bytes read, a request received): the handler calls
 * wake(), and until() looks at its condition again at every wake, under a deadline. One loop for
 * every test client, instead of a hand-made list of resolvers in each.
 */
export class Wakeups {
  private waiters: Array<() => void> = [];

  /** Something changed: every pending until() looks at its condition again. */
  wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves once after the next wake(), or after `ms` (Infinity: no deadline). */
  next(ms = Infinity): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(resolve, Math.max(0, ms)) : undefined;
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * The first value of `check` that is neither undefined nor false, looked at now and at every wake;
   * undefined when `ms` passes first.
   */
  async until<T>(check: () => T | undefined | false, ms: number): Promise<T | undefined> {
    const end = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      const left = end - Date.now();
      if (left <= 0) return undefined;
      await this.next(left);
    }
  }
}
