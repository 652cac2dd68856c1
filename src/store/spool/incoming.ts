// One message (or upload) on its way in: its bytes go to a file in a spool directory as they arrive
// (SMTP DATA/BDAT, IMAP APPEND literals, JMAP uploads), so a connection holds at most the slices
// being written, whatever the message size. The size limit is enforced as bytes arrive, the sha256 is
// computed on the way, and finish() fsyncs the file and hands back a SpooledMessage the store ingests
// by renaming the file into its content-addressed blob path: the bytes are written once.
//
// The writer's buffer is bounded by its caller: append() queues a write and counts the bytes as held
// until it is done; callers stop reading their input while `needsDrain` holds (SMTP awaits each
// slice, IMAP and JMAP pause their sockets), so at most HIGH_WATER bytes plus one input chunk wait.
//
// A message that ends within HELD_LIMIT never gets a spool file: its bytes stay in memory (counted
// as arriving bytes like queued writes) and finish() hands them over as they are. Most mail is that
// small, and a spool file costs it an open, writes, a close, reads of its header block and an unlink
// before the store writes the bytes again; nothing was acknowledged yet, so memory loses nothing a
// file would have kept. The first byte past the limit writes what was held to a file, as before.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SizeLimit } from './size-limit.js';
import { arrivingBytes } from './memory.js';
import { SpooledMessage, removeIfPresent } from './spooled.js';

/** Name ending of spool files, so a start-up sweep removes only what a spooler wrote. */
export const SPOOL_SUFFIX = '.spool';

/** Bytes a writer may hold before its caller must wait (`needsDrain`). */
export const HIGH_WATER = 128 * 1024;

/** Largest message kept in memory rather than in a spool file (below HIGH_WATER: the bound holds). */
export const HELD_LIMIT = 64 * 1024;

/** finish() of a message that went over its size limit. */
export class MessageTooLargeError extends Error {
  override readonly name = 'MessageTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`message of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** A fresh spool file name in `dir`. */
export function spoolFileName(dir: string): string {
  return path.join(dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}${SPOOL_SUFFIX}`);
}

export class IncomingMessage {
  private readonly size: SizeLimit;
  private readonly hash: Hash = createHash('sha256');
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
  private finished: SpooledMessage | undefined;
  private nul = false;
  /** Bytes kept in memory while the message is still within HELD_LIMIT (no file yet). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Some bytes went (or are going) to the file: nothing more is held in memory. */
  private spilled = false;

  constructor(
    readonly dir: string,
    /** Largest message accepted, in bytes; 0 = unlimited. */
    readonly maxSize: number,
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

  /** Some byte written so far is NUL (IMAP refuses those in a non-binary literal). */
  get containsNul(): boolean {
    return this.nul;
  }

  /** A write failed (disk full…): finish() will throw it; the rest of the input is only counted. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Message bytes held in memory right now (waiting to be written). */
  get bufferedBytes(): number {
    return this.inFlight;
  }

  /** The caller should stop feeding until drained() resolves. */
  get needsDrain(): boolean {
    return this.inFlight >= HIGH_WATER;
  }

  /** The spool file's path once the first byte was written (tests, diagnostics). */
  get path(): string | undefined {
    return this.finished?.path ?? this.file;
  }

  /** Resolves once every queued write is done. */
  drained(): Promise<void> {
    return this.tail;
  }

  /**
   * Appends bytes; resolves once they are written. Past the size limit bytes are only counted and
   * the file is removed at once (the message can only be refused). A write error (disk full) is
   * remembered and reported by finish(), while the rest of the message is still consumed.
   */
  append(bytes: Buffer): Promise<void> {
    if (this.finished) throw new Error('append after finish');
    const within = this.size.add(bytes.length);
    if (this.discarded || this.failure !== undefined || bytes.length === 0) return this.tail;
    if (!within) {
      // The first byte past the limit: what was written is of no use any more.
      if (!this.droppedForSize) {
        this.droppedForSize = true;
        this.dropHeld();
        this.tail = this.tail.then(() => this.removeFile());
      }
      return this.tail;
    }
    this.hash.update(bytes);
    if (!this.nul && bytes.includes(0)) this.nul = true;
    this.inFlight += bytes.length;
    arrivingBytes.add(bytes.length);
    if (!this.spilled && this.heldBytes + bytes.length <= HELD_LIMIT) {
      // A copy: callers may reuse their input buffer once this resolves.
      this.held.push(Buffer.from(bytes));
      this.heldBytes += bytes.length;
      return this.tail;
    }
    this.spilled = true;
    // What was held goes first, in the same write; it was counted when it arrived.
    const counted = this.heldBytes + bytes.length;
    const out = this.heldBytes > 0 ? Buffer.concat([...this.held, bytes]) : bytes;
    this.held = [];
    this.heldBytes = 0;
    this.tail = this.tail
      .then(() => this.write(out))
      .catch(async (err: unknown) => {
        this.failure ??= err;
        await this.removeFile();
      })
      .finally(() => {
        this.inFlight -= counted;
        arrivingBytes.remove(counted);
      });
    return this.tail;
  }

  /**
   * The message has ended: waits for the writes, fsyncs and closes the file, and returns it for the
   * store to ingest. Throws the write error, or MessageTooLargeError past the limit. The writer's
   * discard() still removes the file for as long as the store has not taken it. `durable: false`
   * skips the fsync for a file that will only be copied (SMTP: delivery prepends its trace lines);
   * the store fsyncs such a file itself should it ever take it.
   */
  async finish(options: { durable?: boolean } = {}): Promise<SpooledMessage> {
    const durable = options.durable !== false;
    if (this.finished) return this.finished;
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
    if (this.discarded) throw new Error('spooled message was discarded');
    if (this.size.overflow) throw new MessageTooLargeError(this.size.byteCount, this.maxSize);
    if (!this.spilled) {
      // The whole message is in memory: no file to sync; the store writes it durably when it takes it.
      const bytes = this.heldBytes > 0 ? Buffer.concat(this.held, this.heldBytes) : Buffer.alloc(0);
      this.dropHeld();
      this.finished = SpooledMessage.held(this.dir, bytes, this.hash.digest('hex'));
      return this.finished;
    }
    const handle = this.handle ?? (await this.create());
    const file = this.file!;
    try {
      // The store renames this very file into place, so it must be on disk before any row names it.
      if (durable) await handle.datasync();
    } finally {
      this.handle = undefined;
      await handle.close();
    }
    this.finished = new SpooledMessage(file, this.written, this.hash.digest('hex'), durable);
    return this.finished;
  }

  /** Closes and removes the file (or the finished one, unless the store took it). Idempotent. */
  discard(): Promise<void> {
    if (this.finished) return this.finished.discard();
    if (this.discarded) return this.tail;
    this.discarded = true;
    this.dropHeld();
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

  /** Forgets the bytes held in memory (given up, or handed to a SpooledMessage). */
  private dropHeld(): void {
    this.inFlight -= this.heldBytes;
    arrivingBytes.remove(this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
  }

  private async create(): Promise<FileHandle> {
    const file = spoolFileName(this.dir);
    // 'wx': a fresh file only this writer can have; 0600: mail is nobody else's business.
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
    if (file) await removeIfPresent(file);
  }
}

/** Byte ranges of a message to leave out of a copy: sorted by start, not overlapping. */
export type OmittedRanges = ReadonlyArray<{ start: number; end: number }>;

/** The parts of `chunk` (found at `offset` in its message) outside every range of `omit`. */
export function keptParts(chunk: Buffer, offset: number, omit: OmittedRanges): Buffer[] {
  const parts: Buffer[] = [];
  let pos = offset;
  const end = offset + chunk.length;
  for (const r of omit) {
    if (r.end <= pos) continue;
    if (r.start >= end) break;
    if (r.start > pos) parts.push(chunk.subarray(pos - offset, r.start - offset));
    pos = Math.min(end, r.end);
  }
  if (pos < end) parts.push(chunk.subarray(pos - offset));
  return parts;
}

/**
 * A new spooled message beside `source`, holding `prefix` followed by its bytes (SMTP delivery adds
 * Return-Path and Received: lines), less the ranges in `omit` (header fields delivery drops).
 * Copied in small chunks, never wholly in memory.
 */
export async function spoolWithPrefix(prefix: Buffer, source: SpooledMessage, omit: OmittedRanges = []): Promise<SpooledMessage> {
  const out = new IncomingMessage(source.spoolDir, 0);
  try {
    await out.append(prefix);
    const held = source.heldBytes;
    if (held) {
      for (const part of omit.length === 0 ? [held] : keptParts(held, 0, omit)) await out.append(part);
      return await out.finish();
    }
    let offset = 0;
    for await (const chunk of source.stream()) {
      const bytes = chunk as Buffer;
      for (const part of omit.length === 0 ? [bytes] : keptParts(bytes, offset, omit)) await out.append(part);
      offset += bytes.length;
    }
    return await out.finish();
  } catch (err) {
    await out.discard();
    throw err;
  }
}
