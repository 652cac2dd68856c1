// Per-user counters for maxConcurrentRequests / maxConcurrentUpload: one user's burst must not
// starve others, and the numbers advertised in the session are the ones enforced here.
export class ConcurrencyGate {
  private readonly inFlight = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Returns a release function, or undefined when the user is already at the limit. */
  tryEnter(key: string): (() => void) | undefined {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }
}
