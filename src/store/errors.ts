// Typed store errors. Protocol front-ends switch on `code` (or instanceof) and map to their replies:
//   OverQuotaError        IMAP `NO [OVERQUOTA]`, SMTP `552 5.2.2`, JMAP `overQuota`
//   NoSuchMailboxError    IMAP `NO [NONEXISTENT]`, JMAP `notFound` / `invalidProperties`
//   MailboxExistsError    IMAP `NO [ALREADYEXISTS]`, JMAP `invalidProperties`
//   MailboxHasChildren    IMAP `NO [INUSE]`/`NO`, JMAP `mailboxHasChild`
//   MailboxNotEmptyError  JMAP `mailboxHasEmail` (IMAP DELETE always removes the messages)
//   ForbiddenError        IMAP `NO [CANNOT]`, JMAP `forbidden` (e.g. deleting INBOX)
//   InvalidNameError      IMAP `NO [CANNOT]`/`BAD`, JMAP `invalidProperties`
//   NoSuchEmailError      IMAP `NO [NONEXISTENT]`, JMAP `notFound`
//   NoSuchBlobError       JMAP `blobNotFound` (Email/import of a blob the account cannot read)
//   StateMismatchError    JMAP `stateMismatch`
//   CannotCalculateChangesError  JMAP `cannotCalculateChanges`
//   InvalidArgumentError  IMAP `BAD`, JMAP `invalidArguments`
//   NoSuchSieveScriptError     ManageSieve `NO (NONEXISTENT)`, JMAP `notFound`
//   SieveScriptExistsError     ManageSieve `NO (ALREADYEXISTS)`, JMAP `alreadyExists`
//   SieveScriptActiveError     ManageSieve `NO (ACTIVE)`, JMAP `scriptIsActive`
//   NoPermissionError     IMAP `NO [NOPERM]`, JMAP `forbidden` (a shared mailbox without the right)
//   MetadataLimitError    IMAP `NO [METADATA MAXSIZE n]` / `NO [METADATA TOOMANY]`
//   StoreUnavailableError IMAP `NO [UNAVAILABLE]`, SMTP `451 4.3.0`, JMAP `serverFail`

export type StoreErrorCode =
  | 'overQuota'
  | 'noSuchMailbox'
  | 'mailboxExists'
  | 'mailboxHasChildren'
  | 'mailboxNotEmpty'
  | 'forbidden'
  | 'invalidName'
  | 'noSuchEmail'
  | 'noSuchBlob'
  | 'stateMismatch'
  | 'cannotCalculateChanges'
  | 'invalidArgument'
  | 'noSuchSieveScript'
  | 'sieveScriptExists'
  | 'sieveScriptActive'
  | 'noPermission'
  | 'metadataLimit'
  | 'unavailable';

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** Which limit was hit; the numbers let IMAP/JMAP say how much is left. */
export type QuotaResource = 'storage' | 'messages' | 'sieveScripts' | 'sieveScriptSize';

export class OverQuotaError extends StoreError {
  readonly code = 'overQuota' as const;
  constructor(
    readonly account: string,
    readonly resource: QuotaResource,
    /** Usage (bytes or message count) the operation would have reached. */
    readonly wouldUse: number,
    readonly limit: number,
  ) {
    super(`account ${account} over ${resource} quota: ${wouldUse} > ${limit}`);
    this.name = 'OverQuotaError';
  }
}

export class NoSuchMailboxError extends StoreError {
  readonly code = 'noSuchMailbox' as const;
  constructor(readonly mailbox: string) {
    super(`no such mailbox: ${mailbox}`);
    this.name = 'NoSuchMailboxError';
  }
}

export class MailboxExistsError extends StoreError {
  readonly code = 'mailboxExists' as const;
  constructor(readonly path: string) {
    super(`mailbox already exists: ${path}`);
    this.name = 'MailboxExistsError';
  }
}

export class MailboxHasChildrenError extends StoreError {
  readonly code = 'mailboxHasChildren' as const;
  constructor(readonly path: string) {
    super(`mailbox has children: ${path}`);
    this.name = 'MailboxHasChildrenError';
  }
}

export class MailboxNotEmptyError extends StoreError {
  readonly code = 'mailboxNotEmpty' as const;
  constructor(readonly path: string) {
    super(`mailbox is not empty: ${path}`);
    this.name = 'MailboxNotEmptyError';
  }
}

export class ForbiddenError extends StoreError {
  readonly code = 'forbidden' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/**
 * The acting user sees the mailbox (rights "l" or "r") but lacks the right the operation needs
 * (RFC 4314 §4). Without "l" and "r" the store answers NoSuchMailboxError instead, as for a missing
 * mailbox, so nothing is learnt about its existence.
 */
export class NoPermissionError extends StoreError {
  readonly code = 'noPermission' as const;
  constructor(readonly needed: string) {
    super(`permission denied: the "${needed}" right is needed`);
    this.name = 'NoPermissionError';
  }
}

export class InvalidNameError extends StoreError {
  readonly code = 'invalidName' as const;
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid mailbox name ${JSON.stringify(value)}: ${reason}`);
    this.name = 'InvalidNameError';
  }
}

export class NoSuchEmailError extends StoreError {
  readonly code = 'noSuchEmail' as const;
  constructor(readonly emailId: string) {
    super(`no such email: ${emailId}`);
    this.name = 'NoSuchEmailError';
  }
}

export class NoSuchBlobError extends StoreError {
  readonly code = 'noSuchBlob' as const;
  constructor(readonly blobId: string) {
    super(`no such blob: ${blobId}`);
    this.name = 'NoSuchBlobError';
  }
}

export class NoSuchSieveScriptError extends StoreError {
  readonly code = 'noSuchSieveScript' as const;
  constructor(readonly script: string) {
    super(`no such sieve script: ${script}`);
    this.name = 'NoSuchSieveScriptError';
  }
}

export class SieveScriptExistsError extends StoreError {
  readonly code = 'sieveScriptExists' as const;
  constructor(readonly script: string) {
    super(`a sieve script named ${JSON.stringify(script)} already exists`);
    this.name = 'SieveScriptExistsError';
  }
}

export class SieveScriptActiveError extends StoreError {
  readonly code = 'sieveScriptActive' as const;
  constructor(readonly script: string) {
    super(`sieve script ${JSON.stringify(script)} is active`);
    this.name = 'SieveScriptActiveError';
  }
}

export class StateMismatchError extends StoreError {
  readonly code = 'stateMismatch' as const;
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`state mismatch: expected ${expected}, actual ${actual}`);
    this.name = 'StateMismatchError';
  }
}
/** Short alias used in the issue text. */
export { StateMismatchError as StateMismatch };

export class CannotCalculateChangesError extends StoreError {
  readonly code = 'cannotCalculateChanges' as const;
  constructor(readonly sinceState: string) {
    super(`cannot calculate changes since state ${sinceState}`);
    this.name = 'CannotCalculateChangesError';
  }
}

export class InvalidArgumentError extends StoreError {
  readonly code = 'invalidArgument' as const;
  /** The field of the request that was refused (e.g. a mailbox's `role`), when it is one field. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
    this.name = 'InvalidArgumentError';
  }
}

/** An annotation write over a limit (api/metadata.ts): a value too large, or too many entries. */
export class MetadataLimitError extends StoreError {
  readonly code = 'metadataLimit' as const;
  constructor(
    readonly limit: 'size' | 'count',
    readonly max: number,
  ) {
    super(limit === 'size' ? `annotation value larger than ${max} octets` : `more than ${max} annotations`);
    this.name = 'MetadataLimitError';
  }
}

export class StoreUnavailableError extends StoreError {
  readonly code = 'unavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
