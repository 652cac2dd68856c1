// Ingest of one message source into the blob files, with its MIME analysis: the part of an append
// every store implementation shares. A Buffer (or a small message held in memory) is written and
// parsed as it is, or, when the blob store keeps such bytes in its database, left to the caller to
// write in its own transaction (Ingested.inline); a spooled message is
// parsed from its file, then the file is renamed into place; a stored blob is only parsed. A file is
// parsed by position through a small window (./message-file.ts), never read whole; a store that
// keeps no files (PostgreSQL) has a stored blob larger than that window copied to a scratch file
// first (./scratch-parse.ts), in the spool directory it arrived through, else the system's temp
// directory. What parsing keeps costs memory still: an append holds the process-wide ingest gate
// (admitIngest) from before parsing until its transaction has committed, because the analyses (up
// to 1 MiB of search text each) live until then.
import { parseMessage, type MessageAnalysis } from '../mime/parse.js';
import type { BlobBackend } from './blob-backend.js';
import type { MessageSource, StoredBlob } from './api/message-writes.js';
import { SpooledMessage } from './spool/spooled.js';
import { PARSE_PEAK_FACTOR, sharedIngestGate } from './spool/ingest-gate.js';
import { StoreUnavailableError } from './errors.js';
import { MessageFile, WINDOW_BYTES } from './message-file.js';
import { parseFromChunks } from './scratch-parse.js';
import os from 'node:os';

export function isStoredBlob(source: MessageSource): source is StoredBlob {
  return !Buffer.isBuffer(source) && !(source instanceof SpooledMessage) && typeof source.storedBlob === 'string';
}

/** A source whose size is known (stored blobs are resolved by the store, which checks access). */
export type KnownSource = Buffer | SpooledMessage | { blob: string; size: number };

export function sourceSize(source: KnownSource): number {
  return Buffer.isBuffer(source) ? source.length : source.size;
}

export interface Ingested {
  blob: string;
  size: number;
  analysis: MessageAnalysis;
  /**
   * Bytes the blob store did not write (BlobBackend.stageInline): the caller stores them in the
   * transaction of its rows, before anyone is answered.
   */
  inline?: Buffer;
}

/**
 * Waits until the memory reading back and parsing `sources` takes at its peak (PARSE_PEAK_FACTOR
 * per byte, not the bytes alone) fits the process-wide budget; call the returned
 * function once the analyses are no longer held (after the commit). One admission per operation,
 * never one per source, so an operation never holds part of the budget while waiting for more.
 */
export function admitIngest(sources: KnownSource[]): Promise<() => void> {
  return sharedIngestGate.admit(sources.reduce((n, s) => n + (Buffer.isBuffer(s) ? 0 : s.size), 0), PARSE_PEAK_FACTOR);
}

/**
 * Writes (or takes, or stages: see Ingested.inline) the blob and analyses the message; a written
 * blob is durable when this resolves. The caller holds the ingest gate (admitIngest) for spooled
 * and stored sources.
 */
export async function ingestSource(blobs: BlobBackend, source: KnownSource): Promise<Ingested> {
  if (Buffer.isBuffer(source)) return ingestBytes(blobs, source, source);
  if (source instanceof SpooledMessage) {
    // Held in memory (no spool file): as a Buffer.
    const held = source.heldBytes;
    if (held) return ingestBytes(blobs, source, held);
    // Parsed from the spool file first: once renamed, the file is the store's and may be shared.
    // A message already taken by a blob store (the same delivery for a second recipient) is parsed
    // from there: a store that keeps no file (PostgreSQL) left nothing at source.path.
    const analysis = await analyseStored(blobs, source.inSpool ? source.path : null, source.sha256, source.size, source.spoolDir);
    const blob = await blobs.adopt(source);
    return { blob, size: source.size, analysis };
  }
  const analysis = await analyseStored(blobs, null, source.blob, source.size, os.tmpdir());
  // Refresh mtime so garbage collection (which spares young files) cannot race this reuse.
  await blobs.touch(source.blob);
  return { blob: source.blob, size: source.size, analysis };
}

/** A message in memory: `bytes` are a Buffer source itself, or a held message's. */
async function ingestBytes(blobs: BlobBackend, source: Buffer | SpooledMessage, bytes: Buffer): Promise<Ingested> {
  // A held message staged inline stays held (not released): the same delivery for a second
  // recipient stages its own copy, which the blob id deduplicates.
  const staged = blobs.stageInline?.(bytes, Buffer.isBuffer(source) ? undefined : source.sha256) ?? null;
  if (staged !== null) return { blob: staged, size: bytes.length, analysis: parseMessage(bytes), inline: bytes };
  const writing = putBytes(blobs, source, bytes);
  // Parsing runs while the thread pool syncs the blob file.
  const analysis = parseMessage(bytes);
  return { blob: await writing, size: bytes.length, analysis };
}

/**
 * Writes bytes in memory with put(); a held message then reads as taken by the store (released, no
 * longer inSpool), as an adopted spool file does.
 */
async function putBytes(blobs: BlobBackend, source: Buffer | SpooledMessage, bytes: Buffer): Promise<string> {
  const hash = await blobs.put(bytes);
  if (!Buffer.isBuffer(source)) await source.release(blobs.localPath(hash) ?? `blob:${hash}`);
  return hash;
}

/**
 * The analysis of a message in a file (`file`, else the blob's own file), or, from a blob store
 * without files, through a scratch file in `scratchDir`.
 */
async function analyseStored(blobs: BlobBackend, file: string | null, hash: string, size: number, scratchDir: string): Promise<MessageAnalysis> {
  const path = file ?? blobs.localPath(hash);
  if (path !== null) {
    try {
      return MessageFile.with(path, size, parseMessage);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreUnavailableError(`blob ${hash} vanished while being stored`);
      throw err;
    }
  }
  // A message no larger than the parser's window costs no more in memory than the window would.
  const analysis = size <= WINDOW_BYTES ? await blobs.read(hash).then((b) => b && parseMessage(b)) : await parseFromChunks(blobs.stream(hash), size, scratchDir);
  if (analysis === null) throw new StoreUnavailableError(`blob ${hash} vanished while being stored`);
  return analysis;
}

/** Writes (or takes) a blob that needs no analysis (uploads, the outbound queue). */
export function storeBlob(blobs: BlobBackend, source: Buffer | SpooledMessage): Promise<string> {
  if (Buffer.isBuffer(source)) return blobs.put(source);
  const held = source.heldBytes;
  return held ? putBytes(blobs, source, held) : blobs.adopt(source);
}
