// Errors while running a script. Any of them ends the execution; delivery then files the message
// into INBOX (RFC 5228 §2.10.6 implicit keep) and logs the message of the error.

export class SieveRuntimeError extends Error {
  constructor(
    message: string,
    /** Where in the script, when known. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'SieveRuntimeError';
  }
}

/** A limit of ./limits.ts was exceeded: steps, actions, redirects, includes, variable sizes. */
export class SieveLimitError extends SieveRuntimeError {
  constructor(message: string, line?: number) {
    super(message, line);
    this.name = 'SieveLimitError';
  }
}
