// Token expiry policy for live sessions. A mail client in IMAP IDLE can sit on one connection for
// days, long after its access token expired: `disconnect` ends such a session `graceSeconds` after the
// token's expiry (the client reconnects and must present a fresh token); `ignore` keeps it, trading
// that guarantee for fewer reconnects (revocation by back-channel logout or re-introspection still
// ends it). Password sessions carry no token expiry and are never affected.
import type { TokenExpiryPolicy } from '../config/types.js';
import type { Principal } from '../auth/types.js';

/** setTimeout's longest delay; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When the session must end under the policy, or undefined when never. */
export function expiryDeadline(principal: Principal, policy: TokenExpiryPolicy | undefined): Date | undefined {
  if (!policy || policy.action !== 'disconnect' || !principal.tokenExpiry) return undefined;
  return new Date(principal.tokenExpiry.getTime() + Math.max(0, policy.graceSeconds) * 1000);
}

/** One timer per session id; timers never keep the process alive. */
export class ExpiryTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Calls `fire` at `deadline` (at once, asynchronously, when it has passed). Replaces any earlier timer. */
  arm(id: string, deadline: Date, fire: () => void): void {
    this.disarm(id);
    const wait = (): void => {
      const left = deadline.getTime() - this.now();
      if (left <= 0) {
        this.timers.delete(id);
        fire();
        return;
      }
      const timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
      timer.unref();
      this.timers.set(id, timer);
    };
    const first = setTimeout(wait, Math.max(0, Math.min(deadline.getTime() - this.now(), MAX_TIMER_MS)));
    first.unref();
    this.timers.set(id, first);
  }

  disarm(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  get size(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
