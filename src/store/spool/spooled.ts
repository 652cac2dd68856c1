// A finished, fsynced spool file: what a protocol hands the store (append, uploadBlob, the outbound
// queue) instead of a Buffer. Its size and sha256 were computed while it arrived. The store takes the
// file by renaming it into the blob store (BlobFiles.adopt); until then discard() removes it. After the
// rename the object still reads the bytes (at their new place), so one message delivered to several
// local recipients is stored once and parsed from the same file.
// A store that keeps no files (PostgreSQL) copies the bytes instead (copiedOut): the spool file then
// stays readable here, and its owner's discard() removes it, as every owner does when it is done.
//
// A small message (IncomingMessage's HELD_LIMIT) has no spool file: its bytes are held in memory,
// and the store writes them as it writes a Buffer when it takes the message (../ingest.ts: put, or
// inside the commit of its rows for a store that keeps small blobs inline).
import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

/** unlink, where a file already gone is fine (rm's force costs an lstat and a rimraf walk per call). */
export async function removeIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export class SpooledMessage {
  private location: string;
  /** The file is still ours (in the spool), not taken by the store. */
  private owned = true;
  private gone = false;
  /** A store without files copied the bytes (copiedOut): the file stays ours, readable until discard(). */
  private copied = false;
  /** The whole message, when it is held in memory instead of a spool file. */
  private memory: Buffer | undefined;

  /** A message held in memory, arrived through spool directory `spoolDir` (see the file comment). */
  static held(spoolDir: string, bytes: Buffer, sha256: string): SpooledMessage {
    const m = new SpooledMessage(path.join(spoolDir, '(held in memory)'), bytes.length, sha256);
    m.memory = bytes;
    m.inMemoryOnly = true;
    return m;
  }

  /** No file of these bytes exists yet (until the store takes them): `path` names none. */
  private inMemoryOnly = false;

  constructor(
    file: string,
    readonly size: number,
    /** sha256 of the bytes, hex: the blob id they get. */
    readonly sha256: string,
    /** The file's data was fsynced when it was finished. */
    private durable = true,
  ) {
    this.location = file;
    this.spoolDir = path.dirname(file);
  }

  /** The spool directory the message arrived in (where derived spool files go). */
  readonly spoolDir: string;

  /** Where the bytes are now: the spool file, or the blob file the store made of it. */
  get path(): string {
    return this.location;
  }

  /**
   * The bytes of a message held in memory that no store took yet (undefined for a spool file): the
   * store writes them with put() instead of taking a file.
   */
  get heldBytes(): Buffer | undefined {
    return this.inMemoryOnly && this.inSpool ? this.memory : undefined;
  }

  /** The file is still in the spool (nobody took it, nobody removed it). */
  get inSpool(): boolean {
    return this.owned && !this.gone && !this.copied;
  }

  /**
   * Moves the file to `target` (the store's blob path, same file system) and remembers it lives
   * there now. Throws EXDEV across file systems; the store then copies instead (copyTo).
   */
  async moveTo(target: string): Promise<void> {
    this.assertReadable();
    if (this.inMemoryOnly) throw new Error('a message held in memory has no file to move (store it with put)');
    if (!this.durable) {
      const handle = await open(this.location, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.durable = true;
    }
    await rename(this.location, target);
    this.location = target;
    this.owned = false;
  }

  /** The store made its own copy (a blob with these bytes already existed, or a copy across file systems): the spool file goes. */
  async release(newLocation: string): Promise<void> {
    const old = this.location;
    const wasOwned = this.owned;
    this.location = newLocation;
    this.owned = false;
    const hadFile = !this.inMemoryOnly;
    this.inMemoryOnly = false;
    if (wasOwned && hadFile) await removeIfPresent(old);
  }

  /**
   * A store that keeps no file of its own (PostgreSQL's chunk rows) copied the bytes: the message
   * counts as taken (not inSpool; the next append of it refers to the stored blob), but the spool
   * file stays where it is, readable, until discard() removes it. So the later recipients of one
   * delivery can still read the copy the first one's store write took (Sieve body tests, editheader).
   */
  copiedOut(): void {
    this.assertReadable();
    this.copied = true;
  }

  /** The whole message. Callers bound how many of these are in memory at once (the ingest gate). */
  async read(): Promise<Buffer> {
    this.assertReadable();
    // A copy: the caller may change it, other copies of this message must not change.
    if (this.memory) return Buffer.from(this.memory);
    const handle = await open(this.location, 'r');
    try {
      const out = Buffer.allocUnsafe(this.size);
      let off = 0;
      while (off < out.length) {
        const { bytesRead } = await handle.read(out, off, out.length - off, off);
        if (bytesRead === 0) throw new Error(`${this.location} ended after ${off} of ${out.length} bytes`);
        off += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  /** The first `n` bytes (at most): a header block, without reading the body. */
  async head(n: number): Promise<Buffer> {
    this.assertReadable();
    if (this.memory) return Buffer.from(this.memory.subarray(0, n));
    const handle = await open(this.location, 'r');
    try {
      const out = Buffer.allocUnsafe(Math.min(n, this.size));
      let off = 0;
      while (off < out.length) {
        const { bytesRead } = await handle.read(out, off, out.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return out.subarray(0, off);
    } finally {
      await handle.close();
    }
  }

  /** The bytes as a stream of small chunks. */
  stream(): Readable {
    this.assertReadable();
    if (this.memory) return Readable.from([this.memory], { objectMode: false });
    return createReadStream(this.location, { highWaterMark: 64 * 1024 });
  }

  /** Removes the spool file unless the store took it. Idempotent. */
  async discard(): Promise<void> {
    if (!this.owned || this.gone) return;
    this.gone = true;
    this.memory = undefined;
    if (!this.inMemoryOnly) await removeIfPresent(this.location);
  }

  private assertReadable(): void {
    if (this.gone) throw new Error('spooled message was discarded');
  }
}
