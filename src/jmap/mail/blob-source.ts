// A readable view of any blob id a client may hold (see ./blobs.ts), for the Blob methods: its size,
// and its bytes a range at a time. Nothing is held whole: a message or upload is read from the store
// by range, a MIME part is decoded from its message's range as it is read (so a Blob/get digest, a
// Blob/upload from a large blob or part, never holds it in memory; a part read from an offset is
// decoded from its start again, its bytes before the offset dropped as they come).
import type { BlobStore, MessageReader } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { parsePartBlobId } from './blob-ids.js';
import { openAnyBlob } from './blobs.js';

export interface BlobSource {
  size: number;
  /** Bytes [start, end) (clamped to the blob), a chunk at a time. */
  slices(start: number, end: number): AsyncIterable<Buffer>;
}

/** `scratchDir`: where a "~" part's blob is parsed when it is large (see openAnyBlob). */
export async function openBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<BlobSource | null> {
  if (parsePartBlobId(blobId) !== undefined) {
    const part = await openAnyBlob(store, account, blobId, scratchDir);
    if (part === null) return null;
    return { size: part.size, slices: (start, end) => dropUntil(reopen(blobId, () => openAnyBlob(store, account, blobId, scratchDir)), start, end) };
  }
  const size = await store.blobSize(account, blobId);
  if (size === null) return null;
  return { size, slices: (start, end) => reopen(blobId, () => store.openBlob(account, blobId, { start, end })) };
}

/** The chunks of a source opened now; gone since it was sized (expired, collected): BytesGoneError, never short data. */
async function* reopen(blobId: string, open: () => Promise<ByteSource | null>): AsyncGenerator<Buffer> {
  const source = await open();
  if (source === null) throw new BytesGoneError(blobId);
  yield* source.chunks();
}

/** The bytes [start, end) of a stream that starts at 0; it is left (and released) once past end. */
async function* dropUntil(chunks: AsyncIterable<Buffer>, start: number, end: number): AsyncGenerator<Buffer> {
  let at = 0;
  for await (const chunk of chunks) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, chunk.length);
    if (to > from) yield chunk.subarray(from, to);
    at += chunk.length;
    if (at >= end) return;
  }
}

/** The bytes [start, end) of a blob, a chunk at a time. */
export function blobSlices(source: BlobSource, start: number, end: number): AsyncIterable<Buffer> {
  return source.slices(start, end);
}
