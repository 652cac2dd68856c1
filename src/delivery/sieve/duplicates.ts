// RFC 7352 duplicate tracking: which (handle, id) pairs an account has seen, and when. Kept like the
// vacation replied-senders record (one store setting per account, compare-and-swap, pruned and
// capped), so concurrent deliveries agree and a flood of unique ids cannot grow it without bound.
import type { SettingsStore } from '../../store/types.js';
import { RepliedSenders } from '../vacation/replied.js';

export const DUPLICATES_SETTING_KEY = 'SieveDuplicates';
/** RFC 7352 §3.3 leaves the default period to the site: Pigeonhole's is 12 hours. */
export const DEFAULT_DUPLICATE_SECONDS = 12 * 3600;
/** Longest period a script may ask for (Pigeonhole's duplicate_max_period is 2 days). */
export const MAX_DUPLICATE_SECONDS = 2 * 24 * 3600;

export class DuplicateTracker {
  private readonly seen: RepliedSenders;

  constructor(store: SettingsStore) {
    this.seen = new RepliedSenders(store, MAX_DUPLICATE_SECONDS * 1000, DUPLICATES_SETTING_KEY);
  }

  /** True when the pair was seen within the period; otherwise records it and answers false. */
  async check(user: string, check: { handle: string; id: string; seconds: number | null }, now: Date): Promise<boolean> {
    const seconds = Math.min(check.seconds ?? DEFAULT_DUPLICATE_SECONDS, MAX_DUPLICATE_SECONDS);
    const claimed = await this.seen.claim(user, 'duplicate', `${check.handle}\u0000${check.id}`, now, seconds * 1000);
    return !claimed;
  }
}
