// A readable view of any blob id a client may hold (see ./blobs.ts), for the Blob methods: its size,
// and its bytes a slice at a time. Whole blobs (messages, uploads) are read from the store by range,
// so a Blob/get digest or a Blob/upload from a large blob never holds the blob in memory; a MIME
// part is decoded from its message once (as a download of it would be).
import type { BlobStore, MessageReader } from '../../store/types.js';
import { parsePartBlobId } from './blob-ids.js';
import { readAnyBlob } from './blobs.js';

/** Bytes read from the store at once when a blob is walked. */
export const BLOB_SLICE = 256 * 1024;

export interface BlobSource {
  size: number;
  /** The whole blob is held in memory (a decoded MIME part); otherwise read from the store on demand. */
  resident: boolean;
  /** Bytes [start, end) (clamped to the blob). */
  read(start: number, end: number): Promise<Buffer>;
}

export async function openBlob(store: BlobStore & MessageReader, account: string, blobId: string): Promise<BlobSource | null> {
  if (parsePartBlobId(blobId) !== undefined) {
    const bytes = await readAnyBlob(store, account, blobId);
    if (bytes === null) return null;
    return { size: bytes.length, resident: true, read: async (start, end) => bytes.subarray(start, end) };
  }
  const size = await store.blobSize(account, blobId);
  if (size === null) return null;
  return {
    size,
    resident: false,
    read: async (start, end) => {
      const bytes = await store.readBlob(account, blobId, { start, end });
      // Sized a moment ago: the blob expired or was collected in between; never answer short data.
      if (bytes === null) throw new Error(`blob ${blobId} disappeared while being read`);
      return bytes;
    },
  };
}

/** The bytes [start, end) of a blob in slices of at most BLOB_SLICE. */
export async function* blobSlices(source: BlobSource, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at < end; at += BLOB_SLICE) {
    const slice = await source.read(at, Math.min(end, at + BLOB_SLICE));
    if (slice.length === 0) return;
    yield slice;
  }
}
