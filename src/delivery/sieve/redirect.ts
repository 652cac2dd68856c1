// Redirect safety (RFC 5228 §4.2 asks implementations to prevent loops). Every copy a Sieve redirect
// sends carries "Delivered-To: <the redirecting address>" on top, and a message already carrying that
// marker for the address being delivered to is not redirected again: a chain of redirects between
// users (here or elsewhere) stops at the first repeat, and the message is kept instead. On top of the
// per-execution limit of src/sieve/limits.ts, each user may redirect a bounded number of messages per
// hour (counted in this process), so a script cannot turn an account into a relay for a flood.
import type { RawHeader } from '../../mime/types.js';
import { headerValues } from '../../mime/headers.js';

export const LOOP_MARKER_FIELD = 'Delivered-To';
export const DEFAULT_REDIRECTS_PER_HOUR = 100;
const HOUR_MS = 3600_000;

/** True when `headers` carry our loop marker for one of `addresses`. */
export function hasLoopMarker(headers: RawHeader[], addresses: string[]): boolean {
  const mine = new Set(addresses.map((a) => a.toLowerCase()));
  return headerValues(headers, LOOP_MARKER_FIELD).some((v) => mine.has(v.replace(/^<|>$/g, '').trim().toLowerCase()));
}

export function loopMarker(address: string): Buffer {
  return Buffer.from(`${LOOP_MARKER_FIELD}: ${address}\r\n`, 'utf8');
}

/** Per-user redirect budget over a sliding hour. */
export class RedirectBudget {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly perHour: number) {}

  /** Takes one redirect from `user`'s budget; false when the hour's budget is spent. */
  take(user: string, now: Date): boolean {
    const t = now.getTime();
    const recent = (this.sent.get(user) ?? []).filter((at) => t - at < HOUR_MS);
    if (recent.length >= this.perHour) {
      this.sent.set(user, recent);
      return false;
    }
    recent.push(t);
    this.sent.set(user, recent);
    // Forget users with nothing in the window, so the map holds only active redirectors.
    if (this.sent.size > 10_000) for (const [u, list] of this.sent) if (list.every((at) => t - at >= HOUR_MS)) this.sent.delete(u);
    return true;
  }
}
