// The last login attempts, kept in memory for operators (WebAdmin GET /events): the same events the
// audit log lines carry (names and reasons only, never a secret), newest last, in a bounded ring so a
// password-guessing flood costs a fixed amount of memory.
import type { AuthAuditEvent } from './audit.js';

export interface RecordedAuthEvent extends AuthAuditEvent {
  /** ISO 8601 time of the attempt's outcome. */
  time: string;
}

export const RECENT_AUTH_EVENTS = 1000;

export class RecentAuthEvents {
  private readonly ring: RecordedAuthEvent[] = [];
  private next = 0;

  constructor(
    private readonly capacity = RECENT_AUTH_EVENTS,
    private readonly now: () => number = Date.now,
  ) {}

  record(event: AuthAuditEvent): void {
    const entry: RecordedAuthEvent = { time: new Date(this.now()).toISOString(), ...event };
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first; `user` keeps the events that name that user (as the user or the acting admin). */
  list(filter: { user?: string; limit?: number } = {}): RecordedAuthEvent[] {
    const ordered = this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    const user = filter.user?.toLowerCase();
    const kept = user === undefined ? ordered : ordered.filter((e) => e.user?.toLowerCase() === user || e.actor?.toLowerCase() === user);
    return filter.limit === undefined ? kept : kept.slice(Math.max(0, kept.length - filter.limit));
  }
}
