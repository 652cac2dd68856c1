// A command line that cannot be understood: the CLI prints the message and the command's usage,
// and exits 2 (as opposed to 1 for a well-formed request that failed).
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The password prompt was interrupted (Ctrl-C, end of input) or the two entries differed. */
export class PasswordInputError extends Error {
  override readonly name = 'PasswordInputError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
