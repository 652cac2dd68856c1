// How store failures read in IMAP: response codes of RFC 5530 (NONEXISTENT, ALREADYEXISTS, OVERQUOTA…).
import { isStoreError } from '../store/types.js';
import { ImapError } from './proto/errors.js';

/** The IMAP answer for a command failure; undefined for an unexpected error (a bug). */
export function toImapError(err: unknown): ImapError | undefined {
  if (err instanceof ImapError) return err;
  if (!isStoreError(err)) return undefined;
  switch (err.code) {
    case 'noSuchMailbox':
      return new ImapError('NO', 'Mailbox does not exist', 'NONEXISTENT');
    case 'mailboxExists':
      return new ImapError('NO', 'Mailbox already exists', 'ALREADYEXISTS');
    case 'overQuota':
      return new ImapError('NO', 'Quota exceeded', 'OVERQUOTA');
    case 'mailboxHasChildren':
      return new ImapError('NO', 'Mailbox has children', 'HASCHILDREN');
    case 'noPermission':
      // RFC 4314 §4 / RFC 5530: the mailbox is visible but the right is missing.
      return new ImapError('NO', 'Permission denied', 'NOPERM');
    case 'forbidden':
    case 'invalidName':
    case 'mailboxNotEmpty':
      return new ImapError('NO', err.message, 'CANNOT');
    case 'noSuchEmail':
      return new ImapError('NO', 'Message does not exist', 'NONEXISTENT');
    case 'invalidArgument':
      return new ImapError('BAD', err.message);
    case 'unavailable':
      return new ImapError('NO', 'Mail store temporarily unavailable', 'UNAVAILABLE');
    default:
      return new ImapError('NO', err.message, 'SERVERBUG');
  }
}
