// Reads any blob id a client may hold: a whole message, an upload, or a MIME part of one of the
// account's emails (decoded from its transfer encoding, as RFC 8621 §4.1.4 defines part blobs).
import type { BlobStore, MessageReader } from '../../store/types.js';
import { findPart } from './body-structure.js';
import { parsePartBlobId } from './blob-ids.js';
import { decodeTransfer } from '../../mime/decode.js';
import { parseMessage } from '../../mime/parse.js';

export async function readAnyBlob(store: BlobStore & MessageReader, account: string, blobId: string): Promise<Buffer | null> {
  const part = parsePartBlobId(blobId);
  if (part !== undefined && part.emailId.startsWith('~')) {
    // A part of a message blob that is not (yet) an email: Email/parse results.
    const whole = await store.readBlob(account, part.emailId.slice(1));
    if (whole === null) return null;
    const mime = findPart(parseMessage(whole).parsed.body, part.partId);
    return mime === undefined ? null : decodeTransfer(whole.subarray(mime.bodyStart, mime.end), mime.encoding);
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
