// CHUNKING (RFC 3030): BDAT argument parsing and the running size of a chunked message.

export type BdatArgs = { ok: true; size: number; last: boolean } | { ok: false; message: string };

/** Largest chunk size we accept on the line; bigger numbers are syntax errors, not allocations. */
const MAX_CHUNK_DIGITS = 15;

export function parseBdatArgs(args: string): BdatArgs {
  const m = /^(\d+)(?: +(LAST))? *$/i.exec(args);
  if (!m || m[1]!.length > MAX_CHUNK_DIGITS) {
    return { ok: false, message: 'Syntax: BDAT <chunk-size> [LAST]' };
  }
  return { ok: true, size: Number(m[1]), last: m[2] !== undefined };
}

/** Accumulates chunks; past the limit it only counts, so the client's bytes are still consumed. */
export class ChunkedMessage {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(private readonly maxSize: number) {}

  get byteCount(): number {
    return this.size;
  }
  get overflow(): boolean {
    return this.overflowed;
  }

  append(bytes: Buffer): void {
    this.size += bytes.length;
    if (this.overflowed) return;
    if (this.maxSize > 0 && this.size > this.maxSize) {
      this.overflowed = true;
      this.parts = [];
      return;
    }
    // Copy: the socket's buffer may be a slice of a larger pooled allocation.
    this.parts.push(Buffer.from(bytes));
  }

  message(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}
