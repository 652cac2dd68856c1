// The bytes of a blob an Email/set create takes as a part's content (RFC 8621 §4.6 blobId), as a
// stream nodemailer's MimeNode encodes as it reads: the blob is read a chunk at a time while the
// composed message is written, never whole.
//
// MimeNode picks a Content-Transfer-Encoding for a Buffer by scanning it, but cannot scan a stream:
// it gives any non-text stream base64 (right for binary) and any text stream quoted-printable, which
// for mostly 8-bit text (or binary labelled text/*) is three times its size and not what a Buffer of
// the same bytes got. So for a text part the choice is made here, by MimeNode's own rule applied to
// the blob's first SAMPLE bytes (all of a blob up to that size: exactly the choice it made for the
// whole Buffer before), and set as the part's Content-Transfer-Encoding, which MimeNode keeps.
import { Readable } from 'node:stream';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { readPrefix } from '../../store/byte-sources.js';
import { setError } from '../errors.js';

/** A blob a part takes its bytes from, opened (so known to exist) but not read yet. */
export interface BlobContent {
  blobId: string;
  source: ByteSource;
  /** Opens the blob again: a text part reads a sample of it first, then its bytes from the start. */
  reopen: () => Promise<ByteSource | null>;
}

/** Bytes of a text blob looked at to choose its transfer encoding (read again with the rest). */
export const SAMPLE = 64 * 1024;

/**
 * MimeNode's rule for text content (its _getTextEncoding, not public): quoted-printable when latin
 * letters outnumber 8-bit and control characters, else base64.
 */
export function textTransferEncoding(sample: Buffer): 'quoted-printable' | 'base64' {
  const text = sample.toString();
  let other = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) other++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return other < latin ? 'quoted-printable' : 'base64';
}

function notFound(blobId: string): Error {
  return setError('blobNotFound', `blob ${blobId} went away while the email was written`, { notFound: [blobId] });
}

/** The chunks, a blob collected meanwhile reported as that part's blobNotFound (not a server failure). */
async function* chunksOf(blob: BlobContent, source: ByteSource): AsyncGenerator<Buffer> {
  try {
    yield* source.chunks();
  } catch (err) {
    throw err instanceof BytesGoneError ? notFound(blob.blobId) : err;
  }
}

/**
 * The blob's bytes as MimeNode content for a part of media type `type`, with the transfer encoding
 * to set on a text part. Nothing is read until the stream is; destroying it releases the blob.
 */
export async function blobContentStream(type: string, blob: BlobContent): Promise<{ stream: Readable; transferEncoding?: 'quoted-printable' | 'base64' }> {
  if (!type.startsWith('text/')) return { stream: Readable.from(chunksOf(blob, blob.source), { objectMode: false }) };
  const transferEncoding = textTransferEncoding(await readPrefix({ size: blob.source.size, chunks: () => chunksOf(blob, blob.source) }, SAMPLE));
  const again = await blob.reopen();
  if (again === null) throw notFound(blob.blobId);
  return { stream: Readable.from(chunksOf(blob, again), { objectMode: false }), transferEncoding };
}
