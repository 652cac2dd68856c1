// Share notifications (RFC 9670 §4): a record, in the account of the user whose rights changed, of
// each change of their rights on another user's mailbox (IMAP SETACL/DELETEACL, JMAP shareWith). The
// store writes one in the same transaction as the rights change, for a user identifier (not for
// "anyone", which names no one to tell), and publishes a `state-changed` event with the
// `ShareNotification` state on the recipient's account. Notifications are immutable: the recipient
// can only destroy them; destroyed ones leave a tombstone so /changes can report them.
export interface ShareNotification {
  id: string;
  created: Date;
  /** Who changed the rights: the mailbox's owner, or a user holding "a" on it. */
  changedBy: string;
  /** The owner of the mailbox (its account) and the mailbox, with its path when the rights changed. */
  owner: string;
  mailboxId: string;
  name: string;
  /** Rights letters before and after ('' for none). */
  oldRights: string;
  newRights: string;
}

export interface ShareNotificationChanges {
  oldState: string;
  newState: string;
  hasMoreChanges: boolean;
  created: string[];
  destroyed: string[];
}

export interface ShareNotificationDestroyResult {
  oldState: string;
  newState: string;
  destroyed: string[];
  notFound: string[];
}

export interface ShareNotificationStore {
  /** The user's live notifications, oldest first, and the state they were read at. */
  shareNotifications(user: string): Promise<{ state: string; list: ShareNotification[] }>;
  /** Throws CannotCalculateChangesError for a state this store never gave out. maxChanges >= 1. */
  shareNotificationChanges(user: string, sinceState: string, maxChanges?: number): Promise<ShareNotificationChanges>;
  destroyShareNotifications(user: string, ids: readonly string[]): Promise<ShareNotificationDestroyResult>;
}
