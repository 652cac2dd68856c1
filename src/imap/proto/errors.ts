// Typed protocol errors. Commands throw these; the session turns them into tagged replies.

export type ImapStatus = 'NO' | 'BAD';

export class ImapError extends Error {
  override readonly name: string = 'ImapError';
  constructor(
    readonly status: ImapStatus,
    message: string,
    /** Response code without brackets, e.g. "TRYCREATE" or "BADCHARSET (UTF-8)". */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The command could not be parsed: tagged BAD. */
export class ImapSyntaxError extends ImapError {
  override readonly name = 'ImapSyntaxError';
  constructor(message: string, code?: string) {
    super('BAD', message, code);
  }
}

/** The command was understood but refused: tagged NO. */
export class ImapNoError extends ImapError {
  override readonly name = 'ImapNoError';
  constructor(message: string, code?: string) {
    super('NO', message, code);
  }
}
