// Finished messages are read back from the spool whole, because the store ingests a Buffer (it hashes,
// parses and writes the message in one go). Unchecked, many large messages ending at once would each
// be in memory several times over at the same moment (2 GB for 40 × 8 MB in bench/hostile). The gate
// admits messages to delivery while the bytes being delivered stay within a budget, in arrival order;
// a message larger than the budget is delivered alone. Small messages, the usual traffic, pass at
// once: a client sending a short mail must not queue behind someone's 40 MB ones.

/** Bytes of finished messages being delivered at once, across every SMTP listener of the process. */
export const INGEST_BUDGET = 16 * 1024 * 1024;
/** Messages up to this size are never held (a session holds as much for its input anyway). */
export const INGEST_FREE_SIZE = 256 * 1024;

export class IngestGate {
  private inUse = 0;
  private readonly waiting: Array<{ size: number; admit: () => void }> = [];

  constructor(
    private readonly budget: number,
    private readonly freeSize: number,
  ) {}

  /** Bytes admitted now (tests, diagnostics). */
  get admittedBytes(): number {
    return this.inUse;
  }

  /** Resolves, in arrival order, once `size` bytes fit; call the returned function when done. */
  async admit(size: number): Promise<() => void> {
    if (size <= this.freeSize) return () => undefined;
    if (this.waiting.length > 0 || !this.fits(size)) {
      await new Promise<void>((resolve) => this.waiting.push({ size, admit: resolve }));
    } else {
      this.inUse += size;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= size;
      this.admitWaiting();
    };
  }

  private fits(size: number): boolean {
    return this.inUse === 0 || this.inUse + size <= this.budget;
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.size)) {
      const next = this.waiting.shift()!;
      this.inUse += next.size;
      next.admit();
    }
  }
}

/** The one gate every SMTP listener of this process shares: memory is spent per process. */
export const sharedIngestGate = new IngestGate(INGEST_BUDGET, INGEST_FREE_SIZE);
