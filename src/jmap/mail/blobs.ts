// Reads any blob id a client may hold: a whole message, an upload, or a MIME part of one of the
// account's emails (decoded from its transfer encoding, as RFC 8621 §4.1.4 defines part blobs), or
// a part of a blob that is no email yet ("~" + blobId, handed out by Email/parse).
import os from 'node:os';
import type { BlobStore, MessageReader, MimePart } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import type { ByteRange } from '../../store/api/values.js';
import { clipRange, exactly, windowOf } from '../../store/byte-sources.js';
import { analyseSource } from '../../store/scratch-parse.js';
import { findPart } from './body-structure.js';
import { parsePartBlobId } from './blob-ids.js';
import { decodeTransferChunks } from '../../mime/transfer-stream.js';

/**
 * The blob as a source read a chunk at a time (downloads): a message or upload straight from the
 * store, a part as its byte range decoded as it is read (see openPartBlob).
 */
export async function openAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<ByteSource | null> {
  const part = await openPartBlob(store, account, blobId, scratchDir);
  if (part !== null) return { size: part.size, chunks: () => part.slice(0, part.size) };
  return store.openBlob(account, blobId);
}

/** A part blob: its decoded size, and its decoded bytes a range at a time. */
export interface PartBlob {
  readonly size: number;
  /** Bytes [start, end) (clamped to the part); BytesGoneError when its message went away meanwhile. */
  slice(start: number, end: number): AsyncIterable<Buffer>;
}

/**
 * The part a part blob id names (null for any other id, or a part that is not there). Its size is
 * known before any byte is read: an encoded part's decoded size was counted when its message was
 * parsed (else it is decoded once to count). A range of a part without transfer encoding is read
 * from its message's range; of an encoded one, decoded from the part's start, the bytes before the
 * range dropped as they come. A "~" part's blob is parsed to find the part, through a scratch file
 * in `scratchDir` when it is larger than the parser's window (the system's temp directory when the
 * caller has no spool).
 */
export async function openPartBlob(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir?: string): Promise<PartBlob | null> {
  const located = await locatePart(store, account, blobId, scratchDir ?? os.tmpdir());
  return located === null ? null : sizedPart(located);
}

/** Where a part's bytes are: its structure, and ranges of the message (an email or a blob) holding it. */
interface LocatedPart {
  id: string;
  mime: MimePart;
  openRange(range: ByteRange): Promise<ByteSource | null>;
}

async function locatePart(store: BlobStore & MessageReader, account: string, blobId: string, scratchDir: string): Promise<LocatedPart | null> {
  const part = parsePartBlobId(blobId);
  if (part === undefined) return null;
  if (part.emailId.startsWith('~')) {
    // A part of a blob that is no email yet (Email/parse): it has no stored structure to find the
    // part's range by, so the blob is parsed again, never held whole (analyseSource). That blob may
    // be a part itself (an attached message Email/parse read): its ranges are then that part's.
    const id = part.emailId.slice(1);
    const outer = await openPartBlob(store, account, id, scratchDir);
    const openRange = (range?: ByteRange): Promise<ByteSource | null> => (outer === null ? store.openBlob(account, id, range) : Promise.resolve(partRange(outer, range)));
    const whole = await openRange();
    const analysis = whole === null ? null : await analyseSource(whole, scratchDir);
    const mime = analysis === null ? undefined : findPart(analysis.parsed.body, part.partId);
    return mime === undefined ? null : { id, mime, openRange };
  }
  const id = part.emailId;
  const [meta] = await store.getEmails(account, [id], { parsed: true });
  const mime = meta?.parsed ? findPart(meta.parsed.body, part.partId) : undefined;
  return mime === undefined ? null : { id, mime, openRange: (range) => store.openMessage(account, id, range) };
}

/** A range of a part blob as a source (clamped as a store's range is). */
function partRange(part: PartBlob, range?: ByteRange): ByteSource {
  const { start, end } = clipRange(part.size, range);
  return { size: end - start, chunks: () => part.slice(start, end) };
}

const ENCODED = new Set(['base64', 'quoted-printable']);

async function sizedPart({ id, mime, openRange }: LocatedPart): Promise<PartBlob | null> {
  const body = { start: mime.bodyStart, end: mime.end };
  // Opened now so that a message gone since its structure was read is "no such blob", not a cut body.
  let first: ByteSource | null = await openRange(body);
  if (first === null) return null;
  /** The source opened above for the first read of the whole body, a fresh one for any other. */
  const take = (range: ByteRange): Promise<ByteSource | null> => {
    const source = first !== null && range.start === body.start && range.end === body.end ? first : null;
    first = null;
    return source !== null ? Promise.resolve(source) : openRange(range);
  };
  if (!ENCODED.has(mime.encoding.toLowerCase().trim())) {
    const size = first.size;
    return {
      size,
      slice(start, end) {
        const { start: from, end: to } = clipRange(size, { start, end });
        return exactly(id, to - from, reopen(id, () => take({ start: body.start + from, end: body.start + to })));
      },
    };
  }
  let size = mime.decodedSize;
  if (size === undefined) {
    // Parsed before decoded sizes were counted: decode once to count (nothing kept); reads open anew.
    size = 0;
    for await (const chunk of decodeTransferChunks(first.chunks(), mime.encoding)) size += chunk.length;
    first = null;
  }
  const decoded = size;
  return {
    size: decoded,
    // exactly(): a decoded size that disagrees with the bytes ends the response, never a short body.
    slice: (start, end) => windowOf(exactly(id, decoded, decodeTransferChunks(reopen(id, () => take(body)), mime.encoding)), start, end),
  };
}

/**
 * The chunks of a source opened when they are first asked for; gone since it was sized (expired,
 * collected): BytesGoneError, never short data.
 */
export async function* reopen(id: string, open: () => Promise<ByteSource | null>): AsyncGenerator<Buffer> {
  const source = await open();
  if (source === null) throw new BytesGoneError(id);
  yield* source.chunks();
}
