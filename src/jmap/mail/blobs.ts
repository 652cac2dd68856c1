// Reads any blob id a client may hold: a whole message, an upload, or a MIME part of one of the
// account's emails (decoded from its transfer encoding, as RFC 8621 §4.1.4 defines part blobs), or
// a part of a blob that is no email yet ("~" + blobId, handed out by Email/parse).
import os from 'node:os';
import type { BlobStore, MessageReader, MimePart } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import type { ByteRange } from '../../store/api/values.js';
import { exactly, readAll } from '../../store/byte-sources.js';
import { analyseSource } from '../../store/scratch-parse.js';
import { findPart } from './body-structure.js';
import { parsePartBlobId } from './blob-ids.js';
import { decodeTransfer } from '../../mime/decode.js';
import { decodeTransferChunks } from '../../mime/transfer-stream.js';

/** The blob whole in memory: for callers that build a message of it (Email/set attachments, Sieve). */
export async function readAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<Buffer | null> {
  const part = parsePartBlobId(blobId);
  if (part !== undefined && part.emailId.startsWith('~')) {
    const source = await openParsedPart(store, account, part.emailId.slice(1), part.partId, scratchDir ?? os.tmpdir());
    return source === null ? null : readAll(source);
  }
  if (part !== undefined) {
    const [meta] = await store.getEmails(account, [part.emailId], { parsed: true });
    const mime = meta?.parsed ? findPart(meta.parsed.body, part.partId) : undefined;
    if (mime !== undefined) {
      const bytes = await store.readMessage(account, part.emailId, { start: mime.bodyStart, end: mime.end });
      if (bytes !== null) return decodeTransfer(bytes, mime.encoding);
    }
  }
  return store.readBlob(account, blobId);
}

/**
 * The blob as a source read a chunk at a time (downloads): a message or upload straight from the
 * store, a part as its byte range decoded as it is read. Its size is known before any byte is sent:
 * an encoded part's decoded size was counted when it was parsed (else it is decoded once to count).
 * A "~" part's blob is parsed to find the part, through a scratch file in `scratchDir` when it is
 * larger than the parser's window (the system's temp directory when the caller has no spool).
 */
export async function openAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<ByteSource | null> {
  const part = parsePartBlobId(blobId);
  if (part !== undefined && part.emailId.startsWith('~')) return openParsedPart(store, account, part.emailId.slice(1), part.partId, scratchDir ?? os.tmpdir());
  if (part !== undefined) {
    const [meta] = await store.getEmails(account, [part.emailId], { parsed: true });
    const mime = meta?.parsed ? findPart(meta.parsed.body, part.partId) : undefined;
    if (mime !== undefined) {
      const source = await openPart(part.emailId, mime, (range) => store.openMessage(account, part.emailId, range));
      if (source !== null) return source;
    }
  }
  return store.openBlob(account, blobId);
}

/**
 * Part `partId` of the blob `blobId`, which has no stored structure to find the part's range by:
 * the blob is parsed (never held whole, see analyseSource), then the part's range read and decoded.
 */
async function openParsedPart(store: BlobStore, account: string, blobId: string, partId: string, scratchDir: string): Promise<ByteSource | null> {
  const whole = await store.openBlob(account, blobId);
  if (whole === null) return null;
  const analysis = await analyseSource(whole, scratchDir);
  const mime = analysis === null ? undefined : findPart(analysis.parsed.body, partId);
  return mime === undefined ? null : openPart(blobId, mime, (range) => store.openBlob(account, blobId, range));
}

const ENCODED = new Set(['base64', 'quoted-printable']);

/** A part's body read from its message (`open` reads a range of it: an email or a blob) and decoded as it passes. */
async function openPart(id: string, mime: MimePart, openRange: (range: ByteRange) => Promise<ByteSource | null>): Promise<ByteSource | null> {
  const range = { start: mime.bodyStart, end: mime.end };
  const open = (): Promise<ByteSource | null> => openRange(range);
  const raw = await open();
  if (raw === null || !ENCODED.has(mime.encoding.toLowerCase().trim())) return raw;
  let size = mime.decodedSize;
  if (size === undefined) {
    // Parsed before decoded sizes were counted: decode once to count (nothing kept), then serve a second read.
    size = 0;
    for await (const chunk of decodeTransferChunks(raw.chunks(), mime.encoding)) size += chunk.length;
  }
  const decoded = size;
  return {
    size: decoded,
    // exactly(): a decoded size that disagrees with the bytes ends the response, never a short body.
    chunks: () => exactly(id, decoded, decodeTransferChunks(reopened(id, open, raw, mime.decodedSize === undefined), mime.encoding)),
  };
}

/** The opened source's chunks, or those of a fresh one when the first was already read to count. */
async function* reopened(id: string, open: () => Promise<ByteSource | null>, first: ByteSource, used: boolean): AsyncGenerator<Buffer> {
  const source = used ? await open() : first;
  if (source === null) throw new BytesGoneError(id);
  yield* source.chunks();
}
