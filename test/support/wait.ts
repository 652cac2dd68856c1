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
