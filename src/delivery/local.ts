// Local delivery: appends a copy to a recipient's mailboxes (INBOX unless a Sieve script chose
// others). The store fsyncs the blob and commits before append() resolves, and publishes the
// new-mail events IMAP IDLE and JMAP push listen to.
import type { AccountStore, MailboxStore, MessageWriter, QuotaStore, SpooledMessage } from '../store/types.js';
import { NoSuchMailboxError, OverQuotaError, StoreUnavailableError } from '../store/errors.js';
import type { RecipientOutcome } from '../core/delivery.js';

/** One append: the mailboxes that get the copy, with the flags it gets there. */
export interface Placement {
  mailboxIds: string[];
  flags: string[];
}

export class LocalDelivery {
  /** account → INBOX id. Mailbox ids are stable across renames, and INBOX cannot be deleted. */
  private readonly inboxes = new Map<string, string>();
  /** account → Junk id (a Junk mailbox can be deleted: then quarantined mail goes to INBOX). */
  private readonly junk = new Map<string, string>();

  constructor(private readonly store: AccountStore & MailboxStore & MessageWriter & Pick<QuotaStore, 'getQuota'>) {}

  /**
   * Whether the user is at an effective limit (their own, their domain's or the server's), so that
   * any message would be refused. A user without an account yet, or a store that cannot answer now,
   * is not full: delivery decides then.
   */
  async isFull(user: string): Promise<boolean> {
    try {
      const { messages, storage } = await this.store.getQuota(user);
      return (messages.limit > 0 && messages.used >= messages.limit) || (storage.limit > 0 && storage.used >= storage.limit);
    } catch (err) {
      if (err instanceof NoSuchMailboxError || err instanceof StoreUnavailableError) return false;
      throw err;
    }
  }

  /**
   * Appends to INBOX — or with `quarantine` (DMARC) to the Junk mailbox, INBOX when there is none —
   * or to `placements` when a Sieve script chose them (one append per distinct set of flags).
   */
  async deliver(user: string, address: string, bytes: Buffer | SpooledMessage, receivedAt: Date, placements?: Placement[], quarantine = false): Promise<RecipientOutcome> {
    try {
      const targets = placements ?? [{ mailboxIds: [await this.keepTarget(user, quarantine)], flags: [] }];
      for (const p of targets) {
        await this.store.append(user, { mailboxIds: p.mailboxIds, bytes, receivedAt, ...(p.flags.length > 0 ? { flags: p.flags } : {}) }, { delivery: true });
      }
      return { address, status: 'delivered' };
    } catch (err) {
      if (err instanceof OverQuotaError) {
        return { address, status: 'failed', reason: 'overQuota', message: 'Mailbox full' };
      }
      if (err instanceof StoreUnavailableError) {
        return { address, status: 'failed', reason: 'temporary', message: err.message };
      }
      // The INBOX (or Junk) may have vanished with a deleted account: forget it and let the sender retry.
      this.inboxes.delete(user);
      this.junk.delete(user);
      throw err;
    }
  }

  /**
   * Where a kept copy goes: INBOX, or with `quarantine` (DMARC p=quarantine) the Junk mailbox, INBOX when
   * there is none. Both the plain path and a Sieve `keep` (explicit or implicit) use it, so a script
   * can't undo a quarantine by merely keeping the message.
   */
  async keepTarget(user: string, quarantine: boolean): Promise<string> {
    return (quarantine ? await this.junkOf(user) : undefined) ?? (await this.inboxOf(user));
  }

  private async junkOf(user: string): Promise<string | undefined> {
    const known = this.junk.get(user);
    if (known) return known;
    await this.store.ensureAccount(user);
    const junk = await this.store.findMailboxByRole(user, 'junk');
    if (junk) this.junk.set(user, junk.id);
    return junk?.id;
  }

  async inboxOf(user: string): Promise<string> {
    const known = this.inboxes.get(user);
    if (known) return known;
    await this.store.ensureAccount(user);
    const inbox = await this.store.findMailboxByRole(user, 'inbox');
    if (!inbox) throw new StoreUnavailableError(`account ${user} has no INBOX`);
    this.inboxes.set(user, inbox.id);
    return inbox.id;
  }
}
