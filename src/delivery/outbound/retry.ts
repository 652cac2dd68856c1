// Retry schedule for deferred remote deliveries: quick first retries, then spreading out, giving up
// after about five days as RFC 5321 §4.5.4.1 suggests (Postfix: maximal_queue_lifetime = 5d).

const MINUTE = 60_000;

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5 * MINUTE,
  10 * MINUTE,
  20 * MINUTE,
  40 * MINUTE,
  80 * MINUTE,
  160 * MINUTE,
  ...Array.from({ length: 19 }, () => 300 * MINUTE),
];

/** When to try again after `attempts` failed attempts, or null when it is time to give up. */
export function nextAttempt(attempts: number, now: Date, delays: readonly number[]): Date | null {
  if (attempts >= delays.length + 1) return null;
  const delay = delays[Math.min(attempts - 1, delays.length - 1)]!;
  return new Date(now.getTime() + delay);
}
