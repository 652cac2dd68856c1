// Annotations on the server and on mailboxes (IMAP METADATA, RFC 5464). An entry is named by a
// lower-cased path under /private (the user's own value) or /shared (one value every user who can
// see the mailbox, or every user of the server, reads). Values are octets.
import type { WriteOptions } from './values.js';

export interface MetadataEntry {
  /** Lower-cased entry name, e.g. `/shared/comment`. */
  name: string;
  value: Buffer;
}

/** A write: value null removes the entry. */
export interface MetadataChange {
  name: string;
  value: Buffer | null;
}

/** RFC 5464 §4.2.2 DEPTH: the entry itself, also its children, or its whole subtree. */
export type MetadataDepth = 0 | 1 | 'infinity';

/** Limits a write is checked against inside its transaction. */
export interface MetadataLimits {
  /** Largest value, in octets. */
  maxValueSize: number;
  /** Most entries one user sees on one mailbox (or on the server): theirs and the shared ones. */
  maxEntries: number;
}

/** Who writes (whose /private entries: see getMetadata's `user`), and the origin for the published event. */
export interface MetadataWriteOptions extends WriteOptions {
  user?: string;
}

export interface MetadataStore {
  /**
   * The entries named and, per depth, those below them that `user` sees on the mailbox of `account`
   * (null: the server), ordered by name. `user` (default: `account`) is whose /private entries are
   * read: another user's on a shared mailbox (the rights-checked view, AclStore.actingAs, passes its
   * actor). Throws NoSuchMailboxError for a mailbox `account` does not have.
   */
  getMetadata(account: string, mailboxId: string | null, names: readonly string[], depth: MetadataDepth, user?: string): Promise<MetadataEntry[]>;
  /**
   * Applies all changes or none. Throws MetadataLimitError ('size' / 'count') when `limits` would be
   * exceeded, NoSuchMailboxError as getMetadata; `options.user` as getMetadata's `user`. Publishes a
   * metadata-changed event after the commit (IMAP NOTIFY MailboxMetadataChange / ServerMetadataChange).
   */
  setMetadata(account: string, mailboxId: string | null, changes: readonly MetadataChange[], limits: MetadataLimits, options?: MetadataWriteOptions): Promise<void>;
}
