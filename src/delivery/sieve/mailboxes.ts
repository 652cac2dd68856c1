// Where `fileinto` puts a message: the mailbox with that path (the store's "/"-delimited IMAP names),
// "INBOX" in any case being the inbox, created first when the script said :create (RFC 5490). A
// mailbox that does not exist without :create, or a name the store refuses, is an error the caller
// turns into a copy in INBOX (RFC 5228 §2.10.6: an action that cannot be done falls back to keep).
import type { AccountStore, MailboxStore } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';

export class MailboxNotFoundError extends Error {}

export async function resolveMailbox(store: AccountStore & MailboxStore, user: string, name: string, create: boolean): Promise<string> {
  if (name.toUpperCase() === 'INBOX') {
    const inbox = await store.findMailboxByRole(user, 'inbox');
    if (inbox) return inbox.id;
  }
  const found = await store.findMailboxByPath(user, name);
  if (found) return found.id;
  if (!create) throw new MailboxNotFoundError(`no mailbox "${name}"`);
  try {
    return (await store.createMailbox(user, { path: name })).id;
  } catch (err) {
    // Created by a concurrent delivery in between: use theirs.
    if (isStoreError(err) && err.code === 'mailboxExists') {
      const again = await store.findMailboxByPath(user, name);
      if (again) return again.id;
    }
    if (isStoreError(err) && err.code !== 'unavailable') throw new MailboxNotFoundError(`cannot create mailbox "${name}": ${err.message}`);
    throw err;
  }
}
