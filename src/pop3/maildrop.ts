// The maildrop of one POP3 session (RFC 1939 §5): INBOX as it was at login, numbered 1..n by UID,
// with the messages marked deleted in this session. Concurrent sessions follow Dovecot's default
// (pop3_lock_session=no): no exclusive lock, each session keeps its own numbering, and at QUIT only
// its own deletions are expunged; a message another session (POP3, IMAP, JMAP) removed meanwhile is
// simply gone (RETR answers -ERR, QUIT skips it).
import type { Pop3Store } from './deps.js';

export interface DropMessage {
  uid: number;
  emailId: string;
  /** Octets as stored (RFC 1939 LIST/STAT). */
  size: number;
  /** RFC 1939 §7 UIDL: from the mailbox UIDVALIDITY and the IMAP UID, so it never changes. */
  uidl: string;
  deleted: boolean;
}

/**
 * Dovecot's default pop3_uidl_format %08Xu%08Xv: the IMAP UID and UIDVALIDITY in hex, so a message's
 * UIDL stays the same across sessions and whichever protocol looks at it.
 */
export function uidlOf(uid: number, uidValidity: number): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(uid)}${hex(uidValidity)}`;
}

export class Maildrop {
  private constructor(
    readonly account: string,
    readonly mailboxId: string,
    readonly messages: DropMessage[],
  ) {}

  static async open(store: Pop3Store, account: string): Promise<Maildrop> {
    await store.ensureAccount(account);
    const inbox = await store.findMailboxByPath(account, 'INBOX');
    if (!inbox) throw new Error('the account has no INBOX');
    const snapshot = await store.snapshot(account, inbox.id);
    const uids = snapshot.messages.map((m) => m.uid);
    // Metadata only (sizes): message bytes are read per RETR/TOP, slice by slice.
    const metas = uids.length === 0 ? [] : await store.getMessages(account, inbox.id, [[uids[0]!, uids[uids.length - 1]!]]);
    const messages = metas.map((m) => ({ uid: m.uid, emailId: m.emailId, size: m.size, uidl: uidlOf(m.uid, snapshot.mailbox.uidValidity), deleted: false }));
    return new Maildrop(account, inbox.id, messages);
  }

  /** The message numbered `n`, unless it does not exist or is marked deleted. */
  get(n: number): DropMessage | undefined {
    const m = this.messages[n - 1];
    return m && !m.deleted ? m : undefined;
  }

  /** Messages not marked deleted, with their numbers. */
  *live(): Generator<[number, DropMessage]> {
    for (const [i, m] of this.messages.entries()) if (!m.deleted) yield [i + 1, m];
  }

  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const [, m] of this.live()) {
      count++;
      octets += m.size;
    }
    return { count, octets };
  }

  reset(): void {
    for (const m of this.messages) m.deleted = false;
  }

  /** RFC 1939 §6 UPDATE state: removes the messages marked deleted from INBOX. Returns how many went. */
  async commit(store: Pop3Store): Promise<number> {
    const uids = this.messages.filter((m) => m.deleted).map((m) => m.uid);
    if (uids.length === 0) return 0;
    await store.storeFlags(this.account, this.mailboxId, uids, { mode: 'add', flags: ['\\Deleted'] });
    const { uids: gone } = await store.expunge(this.account, this.mailboxId, uids);
    return gone.length;
  }
}
