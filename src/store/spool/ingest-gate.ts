// The one memory budget for messages being ingested from spool files. The store parses every message
// at ingest (structure, envelope, search text). A message that arrived through a spool file (SMTP
// DATA/BDAT, IMAP APPEND literals, JMAP uploads) is parsed from its file through a small window
// (../message-file.ts), but what the parse holds still grows with the message: header blocks, up to
// 1 MiB of search text, and a base64 text body or a quoted-printable attachment read and decoded
// whole. Unchecked, many large messages finishing at once would each be in memory at the same moment
// (2 GB for 40 × 8 MB in bench/hostile, when messages were read back whole). The gate admits parses
// while the bytes being parsed stay within the budget, in arrival order; a message larger than the
// budget is parsed alone. Small messages, the usual traffic, pass at once: a client sending a short
// mail must not queue behind someone's 40 MB ones.
//
// The gate is per process, shared by every protocol and listener, because memory is spent per
// process. Its budget is `storage.ingest.memory` in tessera.properties (StoreOptions.ingestBudget).

/**
 * Memory one ingest holds per byte of message at its peak: the bytes read back (1×) plus what
 * parseMessage allocates over them, measured by bench/mime/big-parse.ts at 4 and 40 MB (peak RSS
 * growth of one parse, messages read back not included). Since the structure parser reads the
 * Buffer itself (no latin1 copy of the whole message) these are, at 40 MB: under 0.1× for a base64
 * attachment or a plain text body, ~0.3× for many small parts or a text/html body (streamed), ~1.7×
 * for a big base64-encoded text body (its decoded bytes). The factor keeps its margin: 2.7× is the
 * worst measured with the read-back. A message parsed from its file (../message-file.ts) no longer
 * costs the read-back, except a base64 text body, read whole to be decoded: the factor stays.
 */
export const PARSE_PEAK_FACTOR = 4;

/** Default bytes of memory for messages being parsed at once, across the whole process. */
export const DEFAULT_INGEST_BUDGET = 16 * 1024 * 1024;
/** Messages up to this size are never held (a connection holds as much for its input anyway). */
export const INGEST_FREE_SIZE = 256 * 1024;

export class IngestGate {
  private inUse = 0;
  private peak = 0;
  private readonly waiting: Array<{ size: number; admit: () => void }> = [];

  constructor(
    private budgetBytes: number,
    private readonly freeSize: number,
  ) {}

  /** Bytes admitted now (tests, diagnostics). */
  get admittedBytes(): number {
    return this.inUse;
  }

  /** The most bytes admitted at once since the process started (or resetPeak). */
  get peakAdmittedBytes(): number {
    return this.peak;
  }

  get budget(): number {
    return this.budgetBytes;
  }

  /** A new budget (the store's configuration); waiting messages that now fit are admitted. */
  setBudget(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`ingest budget must be a positive byte count, not ${bytes}`);
    this.budgetBytes = bytes;
    this.admitWaiting();
  }

  resetPeak(): void {
    this.peak = this.inUse;
  }

  /**
   * Resolves, in arrival order, once `size` bytes of message, costing `factor` bytes of memory each
   * while they are held, fit the budget; call the returned function when done. Whether a message is
   * small enough to pass at once is decided on its own size.
   */
  async admit(messageSize: number, factor = 1): Promise<() => void> {
    if (messageSize <= this.freeSize) return () => undefined;
    const size = Math.ceil(messageSize * factor);
    if (this.waiting.length > 0 || !this.fits(size)) {
      await new Promise<void>((resolve) => this.waiting.push({ size, admit: resolve }));
    } else {
      this.take(size);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= size;
      this.admitWaiting();
    };
  }

  private take(size: number): void {
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
  }

  private fits(size: number): boolean {
    return this.inUse === 0 || this.inUse + size <= this.budgetBytes;
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.size)) {
      const next = this.waiting.shift()!;
      this.take(next.size);
      next.admit();
    }
  }
}

/** The one gate of this process: every store ingest from a spool file passes it. */
export const sharedIngestGate = new IngestGate(DEFAULT_INGEST_BUDGET, INGEST_FREE_SIZE);
