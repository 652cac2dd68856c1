// A readable view of any blob id a client may hold (see ./blobs.ts), for the Blob methods and
// Email/parse: its size, and its bytes a range at a time. Nothing is held whole: a message or upload
// is read from the store by range, a MIME part from its message's range (an encoded part is decoded
// from its start again for each range, its bytes before the range dropped as they come). So a
// Blob/get digest, a Blob/upload from a large blob or part, never holds it in memory.
import type { BlobStore, MessageReader } from '../../store/types.js';
import { openPartBlob, reopen } from './blobs.js';

export interface BlobSource {
  size: number;
  /** Bytes [start, end) (clamped to the blob), a chunk at a time. */
  slices(start: number, end: number): AsyncIterable<Buffer>;
}

/** `scratchDir`: where a "~" part's blob is parsed when it is large (see openPartBlob). */
export async function openBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<BlobSource | null> {
  const part = await openPartBlob(store, account, blobId, scratchDir);
  if (part !== null) return { size: part.size, slices: (start, end) => part.slice(start, end) };
  const size = await store.blobSize(account, blobId);
  if (size === null) return null;
  return { size, slices: (start, end) => reopen(blobId, () => store.openBlob(account, blobId, { start, end })) };
}

/** The bytes [start, end) of a blob, a chunk at a time. */
export function blobSlices(source: BlobSource, start: number, end: number): AsyncIterable<Buffer> {
  return source.slices(start, end);
}
