// Helpers for ByteSource (src/store/api/byte-source.ts) shared by the blob backends and readers.
import type { ByteRange } from './api/values.js';
import { BytesGoneError, type ByteSource } from './api/byte-source.js';

/** Start and end of `range` clipped to a blob of `size` bytes (the whole blob without a range). */
export function clipRange(size: number, range?: ByteRange): { start: number; end: number } {
  const start = Math.max(0, Math.min(range?.start ?? 0, size));
  return { start, end: Math.max(start, Math.min(range?.end ?? size, size)) };
}

/** Bytes already in memory (a small inline blob) as a source of one chunk. */
export function bufferSource(bytes: Buffer, range?: ByteRange): ByteSource {
  const { start, end } = clipRange(bytes.length, range);
  const part = bytes.subarray(start, end);
  return {
    size: part.length,
    async *chunks() {
      if (part.length > 0) yield part;
    },
  };
}

/**
 * Checks that `chunks` add up to exactly `size` bytes as they pass (a blob replaced or truncated
 * under the reader would otherwise send a literal of the wrong length), throwing BytesGoneError.
 */
export async function* exactly(blobId: string, size: number, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of chunks) {
    seen += chunk.length;
    if (seen > size) throw new BytesGoneError(blobId);
    yield chunk;
  }
  if (seen !== size) throw new BytesGoneError(blobId);
}

/** All of a source's bytes in one buffer: for callers that need them whole and have bounded them. */
export async function readAll(source: ByteSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source.chunks()) parts.push(chunk);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, source.size);
}

/** A source's first `limit` bytes (all of it when shorter): a header window; the rest is not read. */
export async function readPrefix(source: ByteSource, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source.chunks()) {
    const part = chunk.subarray(0, limit - length);
    parts.push(part);
    length += part.length;
    if (length >= limit) break;
  }
  return Buffer.concat(parts, length);
}

/**
 * The part of consecutive `chunks` that lies in [start, end) of their concatenation; the chunks are
 * left (and their source released) once past `end`.
 */
export async function* windowOf(chunks: AsyncIterable<Buffer>, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  let at = 0;
  for await (const chunk of chunks) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, chunk.length);
    at += chunk.length;
    if (to > from) yield chunk.subarray(from, to);
    if (at >= end) return;
  }
}
