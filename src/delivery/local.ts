// Local delivery: appends a copy to each recipient's INBOX. The store fsyncs the blob and commits
// before append() resolves, and publishes the new-mail events IMAP IDLE and JMAP push listen to.
import type { AccountStore, MailboxStore, MessageWriter, SpooledMessage } from '../store/types.js';
import { OverQuotaError, StoreUnavailableError } from '../store/errors.js';
import type { RecipientOutcome } from '../core/delivery.js';

export class LocalDelivery {
  /** account → INBOX id. Mailbox ids are stable across renames, and INBOX cannot be deleted. */
  private readonly inboxes = new Map<string, string>();

  constructor(private readonly store: AccountStore & MailboxStore & MessageWriter) {}

  async deliver(user: string, address: string, bytes: Buffer | SpooledMessage, receivedAt: Date): Promise<RecipientOutcome> {
    try {
      const inbox = await this.inboxOf(user);
      await this.store.append(user, { mailboxIds: [inbox], bytes, receivedAt }, { delivery: true });
      return { address, status: 'delivered' };
    } catch (err) {
      if (err instanceof OverQuotaError) {
        return { address, status: 'failed', reason: 'overQuota', message: 'Mailbox full' };
      }
      if (err instanceof StoreUnavailableError) {
        return { address, status: 'failed', reason: 'temporary', message: err.message };
      }
      // The INBOX may have vanished with a deleted account: forget it and let the sender retry.
      this.inboxes.delete(user);
      throw err;
    }
  }

  private async inboxOf(user: string): Promise<string> {
    const known = this.inboxes.get(user);
    if (known) return known;
    await this.store.ensureAccount(user);
    const inbox = await this.store.findMailboxByRole(user, 'inbox');
    if (!inbox) throw new StoreUnavailableError(`account ${user} has no INBOX`);
    this.inboxes.set(user, inbox.id);
    return inbox.id;
  }
}
