// The engine-independent parts of share notifications (api/share-notifications.ts): ids, states and
// the /changes computation over the rows both engines keep (one per notification, with the sequence
// numbers of its creation and, once destroyed, of its destruction, from one store-wide counter).
import type { ShareNotification, ShareNotificationChanges } from './api/share-notifications.js';
import type { AclWriteOptions } from './api/acl.js';
import type { BusEvent } from '../events/types.js';
import { CannotCalculateChangesError } from './errors.js';
import { ANYONE, GROUP_PREFIX } from './rights.js';

/** A notification to record: whose rights changed (the recipient) and the notification's content. */
export type ShareChange = Omit<ShareNotification, 'id' | 'created'> & { recipient: string };

/** What to publish after the commit: the recipient's new ShareNotification state. */
export interface RecordedShare {
  recipient: string;
  state: string;
}

/**
 * The notification a change of `identifier`'s rights on the owner's mailbox calls for: none for
 * "anyone" or a "$group" (neither names one account to tell; the store does not know a group's
 * members) or when the rights stay the same.
 */
export function shareChangeOf(
  owner: string,
  mailbox: { id: string; path: string },
  identifier: string,
  oldRights: string,
  newRights: string,
  options?: AclWriteOptions,
): ShareChange | undefined {
  if (identifier === ANYONE || identifier.startsWith(GROUP_PREFIX) || oldRights === newRights) return undefined;
  return { recipient: identifier, changedBy: options?.changedBy ?? owner, owner, mailboxId: mailbox.id, name: mailbox.path, oldRights, newRights };
}

/** After a rights change commits: the owner's rights-changed event, and the recipient's new notification state. */
export function rightsChangedEvents(owner: string, mailbox: { id: string; path: string }, identifier: string, options?: AclWriteOptions, notice?: RecordedShare): BusEvent[] {
  const origin = options?.origin ? { origin: options.origin } : {};
  return [
    { type: 'rights-changed', account: owner, mailboxId: mailbox.id, path: mailbox.path, identifier, ...origin },
    ...(notice ? [{ type: 'state-changed' as const, account: notice.recipient, changed: { ShareNotification: notice.state }, ...origin }] : []),
  ];
}

export interface ShareNotificationRow {
  seq: number;
  destroyed_seq: number | null;
  created_at: number;
  changed_by: string;
  owner: string;
  mailbox_id: string;
  name: string;
  old_rights: string;
  new_rights: string;
}

const ID_PREFIX = 'N';

export function notificationId(seq: number): string {
  return ID_PREFIX + String(seq);
}

/** The sequence number of an id, or null for an id this store never gave out. */
export function notificationSeq(id: string): number | null {
  if (!id.startsWith(ID_PREFIX) || !/^[1-9][0-9]{0,15}$/.test(id.slice(1))) return null;
  return Number(id.slice(1));
}

export function toNotification(r: ShareNotificationRow): ShareNotification {
  return {
    id: notificationId(r.seq),
    created: new Date(r.created_at),
    changedBy: r.changed_by,
    owner: r.owner,
    mailboxId: r.mailbox_id,
    name: r.name,
    oldRights: r.old_rights,
    newRights: r.new_rights,
  };
}

/** A user's state: the last sequence number of a creation or destruction among their notifications. */
export function notificationState(rows: ReadonlyArray<Pick<ShareNotificationRow, 'seq' | 'destroyed_seq'>>): string {
  let max = 0;
  for (const r of rows) max = Math.max(max, r.seq, r.destroyed_seq ?? 0);
  return String(max);
}

/**
 * /changes from `sinceState` given the user's rows touched after it and the current state. Each
 * notification counts once, at its last event; one created and destroyed since is not reported.
 */
export function notificationChanges(rows: readonly ShareNotificationRow[], sinceState: string, current: string, maxChanges = 5000): ShareNotificationChanges {
  const since = /^(0|[1-9][0-9]{0,15})$/.test(sinceState) ? Number(sinceState) : NaN;
  if (Number.isNaN(since) || since > Number(current)) throw new CannotCalculateChangesError(sinceState);
  const events = rows
    .map((r) => ({ r, at: Math.max(r.seq, r.destroyed_seq ?? 0) }))
    .filter((e) => e.at > since)
    .sort((a, b) => a.at - b.at);
  const taken = events.slice(0, maxChanges);
  const hasMoreChanges = events.length > taken.length;
  const created: string[] = [];
  const destroyed: string[] = [];
  for (const { r } of taken) {
    if (r.destroyed_seq === null) created.push(notificationId(r.seq));
    else if (r.seq <= since) destroyed.push(notificationId(r.seq));
  }
  const newState = hasMoreChanges ? String(taken[taken.length - 1]!.at) : current;
  return { oldState: sinceState, newState, hasMoreChanges, created, destroyed };
}
