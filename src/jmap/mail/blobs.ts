// Reads any blob id a client may hold: a whole message, an upload, or a MIME part of one of the
// account's emails (decoded from its transfer encoding, as RFC 8621 §4.1.4 defines part blobs).
import type { BlobStore, MessageReader, MimePart } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { bufferSource, exactly } from '../../store/byte-sources.js';
import { findPart } from './body-structure.js';
import { parsePartBlobId } from './blob-ids.js';
import { decodeTransfer } from '../../mime/decode.js';
import { decodeTransferChunks } from '../../mime/transfer-stream.js';
import { parseMessage } from '../../mime/parse.js';

/** The blob whole in memory: for callers that build a message of it (Email/set attachments, Sieve). */
export async function readAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string): Promise<Buffer | null> {
  const part = parsePartBlobId(blobId);
  if (part !== undefined && part.emailId.startsWith('~')) return readParsedPart(store, account, part.emailId.slice(1), part.partId);
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
 * store, an email's part as its byte range decoded as it is read. Its size is known before any byte
 * is sent: an encoded part's decoded size was counted at delivery (else it is decoded once to count).
 */
export async function openAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string): Promise<ByteSource | null> {
  const part = parsePartBlobId(blobId);
  if (part !== undefined && part.emailId.startsWith('~')) {
    // A part of a blob that is no email yet (Email/parse): it has no stored structure to find the
    // part's range by, so the blob is parsed whole, as before.
    const bytes = await readParsedPart(store, account, part.emailId.slice(1), part.partId);
    return bytes === null ? null : bufferSource(bytes);
  }
  if (part !== undefined) {
    const [meta] = await store.getEmails(account, [part.emailId], { parsed: true });
    const mime = meta?.parsed ? findPart(meta.parsed.body, part.partId) : undefined;
    if (mime !== undefined) {
      const source = await openPart(store, account, part.emailId, mime);
      if (source !== null) return source;
    }
  }
  return store.openBlob(account, blobId);
}

async function readParsedPart(store: BlobStore, account: string, blobId: string, partId: string): Promise<Buffer | null> {
  const whole = await store.readBlob(account, blobId);
  if (whole === null) return null;
  const mime = findPart(parseMessage(whole).parsed.body, partId);
  return mime === undefined ? null : decodeTransfer(whole.subarray(mime.bodyStart, mime.end), mime.encoding);
}

const ENCODED = new Set(['base64', 'quoted-printable']);

async function openPart(store: MessageReader, account: string, emailId: string, mime: MimePart): Promise<ByteSource | null> {
  const range = { start: mime.bodyStart, end: mime.end };
  const open = (): Promise<ByteSource | null> => store.openMessage(account, emailId, range);
  const raw = await open();
  if (raw === null || !ENCODED.has(mime.encoding.toLowerCase().trim())) return raw;
  let size = mime.decodedSize;
  if (size === undefined) {
    // Stored before decoded sizes were: decode once to count (nothing kept), then serve a second read.
    size = 0;
    for await (const chunk of decodeTransferChunks(raw.chunks(), mime.encoding)) size += chunk.length;
  }
  const decoded = size;
  return {
    size: decoded,
    // exactly(): a decoded size that disagrees with the bytes ends the response, never a short body.
    chunks: () => exactly(emailId, decoded, decodeTransferChunks(reopened(emailId, open, raw, mime.decodedSize === undefined), mime.encoding)),
  };
}

/** The opened source's chunks, or those of a fresh one when the first was already read to count. */
async function* reopened(emailId: string, open: () => Promise<ByteSource | null>, first: ByteSource, used: boolean): AsyncGenerator<Buffer> {
  const source = used ? await open() : first;
  if (source === null) throw new BytesGoneError(emailId);
  yield* source.chunks();
}
