// Who was answered (RFC 3834 §2: the same sender gets the same response at most once within a
// period of several days). Kept per account as the store setting `VacationReplies`:
// { period, replied: { sender: epoch ms } }. A claim is a compare-and-swap on the setting's state,
// so two deliveries from one sender racing each other (two SMTP sessions, two nodes) send one
// reply; within one process, updates to an account are also queued one after another, so a burst
// of deliveries does not spin on state mismatches. Entries older than the resend interval are pruned on each write, and the map is capped so
// a flood of forged senders cannot grow it without bound.
import type { JsonValue, SettingsStore } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';

export const REPLIED_SETTING_KEY = 'VacationReplies';
/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 5000;
const MAX_CAS_ATTEMPTS = 10;

interface RepliedRecord {
  period: string;
  replied: Record<string, number>;
}

function toRecord(value: JsonValue | null): RepliedRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { period: '', replied: {} };
  const replied: Record<string, number> = {};
  const map = value.replied;
  if (map !== null && typeof map === 'object' && !Array.isArray(map)) {
    for (const [k, v] of Object.entries(map)) if (typeof v === 'number') replied[k] = v;
  }
  return { period: typeof value.period === 'string' ? value.period : '', replied };
}

function isStateMismatch(err: unknown): boolean {
  return isStoreError(err) && err.code === 'stateMismatch';
}

export class RepliedSenders {
  /** account → tail of its queue of pending updates. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: SettingsStore,
    /** How long one answer to a sender stands (default 7 days, as Sieve vacation's :days). */
    private readonly resendAfterMs: number,
    /** The setting the record lives in: Sieve's duplicate test keeps its own record the same way. */
    private readonly settingKey = REPLIED_SETTING_KEY,
  ) {}

  /**
   * Records that `sender` is being answered now, unless they were answered in this period less than
   * resendAfterMs ago. True means "send the reply"; false means "already answered".
   */
  async claim(account: string, period: string, sender: string, now: Date, resendAfterMs = this.resendAfterMs): Promise<boolean> {
    const key = sender.toLowerCase();
    const t = now.getTime();
    return this.update(account, (rec) => {
      const fresh: RepliedRecord = rec.period === period ? rec : { period, replied: {} };
      const last = fresh.replied[key];
      if (last !== undefined && t - last < resendAfterMs) return null;
      const kept = Object.entries(fresh.replied)
        .filter(([k, at]) => k !== key && t - at < Math.max(resendAfterMs, this.resendAfterMs))
        .sort((a, b) => a[1] - b[1])
        .slice(-(MAX_ENTRIES - 1));
      return { period, replied: { ...Object.fromEntries(kept), [key]: t } };
    });
  }

  /** Undoes a claim whose reply could not be sent, so the sender's next message is answered. */
  async release(account: string, period: string, sender: string, now: Date): Promise<void> {
    const key = sender.toLowerCase();
    await this.update(account, (rec) => {
      if (rec.period !== period || rec.replied[key] !== now.getTime()) return null;
      const replied = { ...rec.replied };
      delete replied[key];
      return { period, replied };
    });
  }

  /** Runs the update after the account's earlier ones (in this process). */
  private update(account: string, change: (rec: RepliedRecord) => RepliedRecord | null): Promise<boolean> {
    const previous = this.queues.get(account) ?? Promise.resolve();
    const run = previous.then(() => this.compareAndSwap(account, change));
    const tail = run.catch(() => undefined);
    this.queues.set(account, tail);
    void tail.then(() => {
      if (this.queues.get(account) === tail) this.queues.delete(account);
    });
    return run;
  }

  /** Read-modify-write with ifInState (another node may write too); null from `change` = no write. */
  private async compareAndSwap(account: string, change: (rec: RepliedRecord) => RepliedRecord | null): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.getSetting(account, this.settingKey);
      const next = change(toRecord(current.value));
      if (next === null) return false;
      try {
        await this.store.setSetting(account, this.settingKey, next as unknown as JsonValue, { ifInState: current.state });
        return true;
      } catch (err) {
        if (!isStateMismatch(err) || attempt >= MAX_CAS_ATTEMPTS) throw err;
      }
    }
  }
}
