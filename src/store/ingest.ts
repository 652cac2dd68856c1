// Ingest of one message source into the blob files, with its MIME analysis: the part of an append
// every store implementation shares. A Buffer is written and parsed as it is; a spooled message is
// read back for parsing through the process-wide ingest gate, then its file is renamed into place;
// a stored blob is only read back (through the gate) and parsed.
import { parseMessage, type MessageAnalysis } from '../mime/parse.js';
import type { BlobFiles } from './blobs.js';
import type { MessageSource, StoredBlob } from './api/message-writes.js';
import { SpooledMessage } from './spool/spooled.js';
import { sharedIngestGate } from './spool/ingest-gate.js';
import { StoreUnavailableError } from './errors.js';

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
}

/** Parses bytes read back from a file, within the memory budget shared by every ingest of the process. */
async function parseGated(size: number, read: () => Promise<Buffer>): Promise<MessageAnalysis> {
  const release = await sharedIngestGate.admit(size);
  try {
    return parseMessage(await read());
  } finally {
    release();
  }
}

/** Writes (or takes) the blob and analyses the message. The blob is durable when this resolves. */
export async function ingestSource(blobs: BlobFiles, source: KnownSource): Promise<Ingested> {
  if (Buffer.isBuffer(source)) {
    const writing = blobs.put(source);
    // Parsing runs while the thread pool syncs the blob file.
    const analysis = parseMessage(source);
    return { blob: await writing, size: source.length, analysis };
  }
  if (source instanceof SpooledMessage) {
    // Parsed from the spool file first: once renamed, the file is the store's and may be shared.
    const analysis = await parseGated(source.size, () => source.read());
    const blob = await blobs.adopt(source);
    return { blob, size: source.size, analysis };
  }
  const analysis = await parseGated(source.size, async () => {
    const bytes = await blobs.read(source.blob);
    if (bytes === null) throw new StoreUnavailableError(`blob ${source.blob} vanished while being imported`);
    return bytes;
  });
  // Refresh mtime so garbage collection (which spares young files) cannot race this reuse.
  await blobs.touch(source.blob);
  return { blob: source.blob, size: source.size, analysis };
}

/** Writes (or takes) a blob that needs no analysis (uploads, the outbound queue). */
export function storeBlob(blobs: BlobFiles, source: Buffer | SpooledMessage): Promise<string> {
  return Buffer.isBuffer(source) ? blobs.put(source) : blobs.adopt(source);
}
