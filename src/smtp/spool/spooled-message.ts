// One message on its way in: the bytes of a DATA or BDAT transaction go to a file in the listener's
// spool directory as they arrive, so a session holds at most the slice being written, whatever the
// message size. The file is a staging copy, not the durable one: the store fsyncs its own copy before
// the 250, so the spool file is never fsynced, and it is removed once the transaction ends (delivered,
// refused, reset, or the client gone).
import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SizeLimit } from '../proto/size-limit.js';

/** Name ending of spool files, so a start-up sweep removes only what a spooler wrote. */
export const SPOOL_SUFFIX = '.spool';

export class SpooledMessage {
  private readonly size: SizeLimit;
  private handle: FileHandle | undefined;
  private file: string | undefined;
  /** Bytes written to the file (the message so far, while within the limit). */
  private written = 0;
  /** Bytes handed to append() and not yet written: the only message bytes this object holds. */
  private inFlight = 0;
  /** Every file operation runs after the previous one, so a discard never overtakes a write. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private discarded = false;
  private droppedForSize = false;

  constructor(
    private readonly dir: string,
    maxSize: number,
  ) {
    this.size = new SizeLimit(maxSize);
  }

  /** The message size so far, counting bytes past the limit that were dropped. */
  get byteCount(): number {
    return this.size.byteCount;
  }

  get overflow(): boolean {
    return this.size.overflow;
  }

  /** Message bytes held in memory right now (waiting to be written). */
  get bufferedBytes(): number {
    return this.inFlight;
  }

  /** The spool file's path once the first byte was written (tests, diagnostics). */
  get path(): string | undefined {
    return this.file;
  }

  /**
   * Appends bytes; resolves once they are written. Past the size limit bytes are only counted and
   * the file is removed at once (the transaction can only end in 552). A write error (disk full) is
   * remembered and reported by contents(), while the rest of the message is still consumed.
   */
  append(bytes: Buffer): Promise<void> {
    const within = this.size.add(bytes.length);
    if (this.discarded || this.failure !== undefined || bytes.length === 0) return this.tail;
    if (!within) {
      // The first byte past the limit: what was written is of no use any more.
      if (!this.droppedForSize) {
        this.droppedForSize = true;
        this.tail = this.tail.then(() => this.removeFile());
      }
      return this.tail;
    }
    this.inFlight += bytes.length;
    this.tail = this.tail
      .then(() => this.write(bytes))
      .catch(async (err: unknown) => {
        this.failure ??= err;
        await this.removeFile();
      })
      .finally(() => {
        this.inFlight -= bytes.length;
      });
    return this.tail;
  }

  /**
   * The whole message, read back from the file once it has ended. Throws the write error, if any.
   * Only meaningful when the message did not overflow.
   */
  async contents(): Promise<Buffer> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
    const handle = this.handle;
    if (!handle || this.written === 0) return Buffer.alloc(0);
    const out = Buffer.allocUnsafe(this.written);
    let off = 0;
    while (off < out.length) {
      const { bytesRead } = await handle.read(out, off, out.length - off, off);
      if (bytesRead === 0) throw new Error(`spool file ${this.file ?? ''} ended after ${off} of ${out.length} bytes`);
      off += bytesRead;
    }
    return out;
  }

  /** Closes and removes the file; later appends are only counted. Idempotent. */
  discard(): Promise<void> {
    if (this.discarded) return this.tail;
    this.discarded = true;
    this.tail = this.tail.then(() => this.removeFile());
    return this.tail;
  }

  private async write(bytes: Buffer): Promise<void> {
    if (this.discarded) return;
    const handle = this.handle ?? (await this.create());
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, off, bytes.length - off, this.written);
      off += bytesWritten;
      this.written += bytesWritten;
    }
  }

  private async create(): Promise<FileHandle> {
    const file = path.join(this.dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}${SPOOL_SUFFIX}`);
    // 'wx': a fresh file only this session can have; 0600: mail is nobody else's business.
    this.handle = await open(file, 'wx+', 0o600);
    this.file = file;
    return this.handle;
  }

  private async removeFile(): Promise<void> {
    const handle = this.handle;
    const file = this.file;
    this.handle = undefined;
    this.file = undefined;
    this.written = 0;
    if (handle) await handle.close().catch(() => undefined);
    if (file) await rm(file, { force: true });
  }
}
