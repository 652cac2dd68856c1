// Content-addressed blob files: <root>/ab/cd/<sha256 hex>. A blob is durable before any row refers
// to it: bytes go to a temp file in the same directory, which is fsynced, renamed into place, and
// the directory fsynced (so the rename itself survives a crash). Identical content is stored once.
import { createHash } from 'node:crypto';
import { randomId } from '../core/random-pool.js';
import fsSync, { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ByteRange } from './types.js';
import { BytesGoneError, type ByteSource } from './api/byte-source.js';
import { clipRange, exactly } from './byte-sources.js';
import type { SpooledMessage } from './spool/spooled.js';

const HASH_RE = /^[0-9a-f]{64}$/;

/** Blobs up to this size are written with synchronous page-cache calls (see putSmall). */
const SYNC_WRITE_LIMIT = 256 * 1024;

/** Blob directories: two levels of two hex digits (<root>/ab/cd), 65,536 in all. */
const DIR_COUNT = 0x10000;

export class BlobFiles {
  /**
   * Which <root>/ab/cd directories this process has made sure exist, one bit each (8 KiB): a Set of
   * their paths grew with every new directory a blob landed in, to some 65,536 strings (megabytes)
   * on a busy server, and showed as steady heap growth in the soak.
   */
  private readonly knownDirs = new Uint8Array(DIR_COUNT / 8);

  constructor(readonly root: string) {}

  static hash(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  static isBlobId(id: string): boolean {
    return HASH_RE.test(id);
  }

  pathOf(hash: string): string {
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  localPath(hash: string): string | null {
    return HASH_RE.test(hash) ? this.pathOf(hash) : null;
  }

  /** Writes bytes durably; returns the blob id (sha256 hex). */
  async put(bytes: Buffer): Promise<string> {
    const hash = BlobFiles.hash(bytes);
    const file = this.pathOf(hash);
    const dir = path.dirname(file);
    if (bytes.length <= SYNC_WRITE_LIMIT) return this.putSmall(hash, bytes, file, dir);
    if (await this.hasComplete(file, bytes.length)) {
      // Refresh mtime so garbage collection (which spares young files) cannot race this reuse.
      const now = new Date();
      await fs.utimes(file, now, now).catch(() => undefined);
      return hash;
    }
    await this.ensureDir(hash, dir);
    const tmp = path.join(dir, `.tmp-${process.pid}-${randomId(6, 'hex')}`);
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await syncDir(dir);
    return hash;
  }

  /**
   * Takes a finished spool file as a blob: the file (already fsynced by the spool writer) is renamed
   * into place and the directory fsynced, so the bytes are written once. When the blob exists already
   * the spool file is just removed. Across file systems (a spool mounted elsewhere) it is copied to
   * a temp file here, fsynced and renamed, as put() would. Returns the blob id (sha256 hex).
   */
  async adopt(source: SpooledMessage): Promise<string> {
    if (source.heldBytes) throw new Error('a message held in memory is stored with put (see storeBlob in ingest.ts)');
    const hash = source.sha256;
    const file = this.pathOf(hash);
    const dir = path.dirname(file);
    if (await this.hasComplete(file, source.size)) {
      const now = new Date();
      await fs.utimes(file, now, now).catch(() => undefined);
      if (source.path !== file) await source.release(file);
      return hash;
    }
    if (!source.inSpool) throw new Error(`blob ${hash} taken from a spool file is missing`);
    await this.ensureDir(hash, dir);
    try {
      await source.moveTo(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const tmp = path.join(dir, `.tmp-${process.pid}-${randomId(6, 'hex')}`);
      await fs.copyFile(source.path, tmp);
      const handle = await fs.open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
      await source.release(file);
    }
    await syncDir(dir);
    return hash;
  }

  /** Marks a blob as just used, so garbage collection (which spares young files) leaves it. */
  async touch(hash: string): Promise<void> {
    const now = new Date();
    await fs.utimes(this.pathOf(hash), now, now).catch(() => undefined);
  }

  /** Whether the blob's file exists (of `size` bytes, when given), without leaving the main thread. */
  hasFileSync(hash: string, size?: number): boolean {
    if (!HASH_RE.test(hash)) return false;
    // A new blob (most are) has no file yet: asked not to throw, statSync skips building an Error
    // with its stack trace for the ENOENT.
    const st = fsSync.statSync(this.pathOf(hash), { throwIfNoEntry: false });
    return st !== undefined && (size === undefined || st.size === size);
  }

  /** Size of a stored blob, or null when there is none. */
  async sizeOf(hash: string): Promise<number | null> {
    if (!HASH_RE.test(hash)) return null;
    try {
      return (await fs.stat(this.pathOf(hash))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * A small blob: the same steps, but only creating the file and the two fsyncs go to libuv's
   * thread pool (4 threads by default). The other steps touch only the page cache and take
   * microseconds; queued behind other appends' fsyncs in the pool they made concurrent appends
   * wait on each other, so blob writes, not commits, capped the append rate.
   */
  private async putSmall(hash: string, bytes: Buffer, file: string, dir: string): Promise<string> {
    if (this.hasFileSync(hash, bytes.length)) {
      const now = new Date();
      try {
        fsSync.utimesSync(file, now, now);
      } catch {
        // a vanished file is rewritten by the next append of these bytes; reuse is best effort
      }
      return hash;
    }
    await this.ensureDir(hash, dir);
    const tmp = path.join(dir, `.tmp-${process.pid}-${randomId(6, 'hex')}`);
    // Creating a file takes a journal handle and can wait on a commit in progress: off the main thread.
    const fd = await new Promise<number>((resolve, reject) => fsSync.open(tmp, 'w', 0o600, (err, f) => (err ? reject(err) : resolve(f))));
    try {
      let off = 0;
      while (off < bytes.length) off += fsSync.writeSync(fd, bytes, off, bytes.length - off);
      await fdatasync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(tmp, file);
    await syncDir(dir);
    return hash;
  }

  async read(hash: string, range?: ByteRange): Promise<Buffer | null> {
    if (!HASH_RE.test(hash)) return null;
    let handle;
    try {
      handle = await fs.open(this.pathOf(hash), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      if (!range) return await handle.readFile();
      const { size } = await handle.stat();
      const start = Math.max(0, Math.min(range.start, size));
      const end = Math.max(start, Math.min(range.end, size));
      const buf = Buffer.alloc(end - start);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await handle.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    } finally {
      await handle.close();
    }
  }

  async open(hash: string, range?: ByteRange): Promise<ByteSource | null> {
    const size = await this.sizeOf(hash);
    if (size === null) return null;
    const { start, end } = clipRange(size, range);
    const file = this.pathOf(hash);
    return {
      size: end - start,
      // The file is opened when reading starts, so a source never read holds no descriptor.
      chunks: () => exactly(hash, end - start, readFileRange(hash, file, start, end)),
    };
  }

  async *stream(hash: string): AsyncGenerator<Buffer> {
    if (!HASH_RE.test(hash)) return;
    const input = fsSync.createReadStream(this.pathOf(hash), { highWaterMark: 256 * 1024 });
    try {
      for await (const chunk of input) yield chunk as Buffer;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    } finally {
      input.destroy();
    }
  }

  async exists(hash: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(hash));
      return true;
    } catch {
      return false;
    }
  }

  async remove(hash: string): Promise<void> {
    await fs.rm(this.pathOf(hash), { force: true });
  }

  /** Every blob id on disk, and stale temp files (left by a crash) removed on the way. */
  async *list(): AsyncGenerator<string> {
    for (const a of await safeReaddir(this.root)) {
      for (const b of await safeReaddir(path.join(this.root, a))) {
        const dir = path.join(this.root, a, b);
        for (const name of await safeReaddir(dir)) {
          if (HASH_RE.test(name)) yield name;
          else if (name.startsWith('.tmp-')) await fs.rm(path.join(dir, name), { force: true });
        }
      }
    }
  }

  private async hasComplete(file: string, size: number): Promise<boolean> {
    try {
      return (await fs.stat(file)).size === size;
    } catch {
      return false;
    }
  }

  /** Creates `dir` (the directory of blob `hash`) unless this process already did. */
  private async ensureDir(hash: string, dir: string): Promise<void> {
    const bit = Number.parseInt(hash.slice(0, 4), 16);
    if ((this.knownDirs[bit >> 3]! & (1 << (bit & 7))) !== 0) return;
    const created = await fs.mkdir(dir, { recursive: true });
    if (created) {
      // Each directory that gained an entry must reach the disk, or the blob's path could vanish
      // after a crash: the parent of the first created directory, and every created one above
      // the leaf (the leaf itself is synced after the rename).
      let d = path.dirname(dir);
      while (d.length >= path.dirname(created).length) {
        await syncDir(d);
        if (d === path.dirname(created)) break;
        d = path.dirname(d);
      }
    }
    this.knownDirs[bit >> 3]! |= 1 << (bit & 7);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fd = fsSync.openSync(dir, 'r');
  try {
    await new Promise<void>((resolve, reject) => fsSync.fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    fsSync.closeSync(fd);
  }
}

/** fdatasync: the data and the size (all a new file needs); the inode's times are not waited for. */
function fdatasync(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fsSync.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

async function safeReaddir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Bytes [start, end) of a blob file in chunks of READ_CHUNK; a file gone meanwhile is BytesGoneError. */
async function* readFileRange(hash: string, file: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (start >= end) return;
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BytesGoneError(hash);
    throw err;
  }
  try {
    for (let pos = start; pos < end; ) {
      // A fresh buffer per chunk: the reader may hold on to it (a socket write still queued).
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new BytesGoneError(hash);
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

const READ_CHUNK = 256 * 1024;
