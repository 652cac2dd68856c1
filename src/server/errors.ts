// Start-up failures the operator must fix (a port in use, an unusable data directory). The CLI
// prints the message on one line and exits 1; the message names what failed and where.

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
