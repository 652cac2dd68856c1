// Message bytes in IMAP responses without the message in memory (issue #19): a section's bytes are
// located from the stored part offsets (./section.ts), read from the store as a ByteSource, and
// written as a literal whose size is known before its first byte goes out: a stored range's size is
// its length; a decoded BINARY section's is counted by a first decoding pass (which also looks for
// the NUL that makes it a literal8), then the bytes are decoded again as they are sent.
import type { ImapSession } from '../session.js';
import type { MailStore } from '../../store/types.js';
import { BytesGoneError, type ByteSource } from '../../store/api/byte-source.js';
import { readAll, windowOf } from '../../store/byte-sources.js';
import { decodeTransferChunks } from '../../mime/transfer-stream.js';
import { imapString, literal8, type Wire } from '../proto/serialize.js';
import { filterHeaderChunks, filterPlannedHeader, type SectionPlan } from './section.js';

/** A literal written from chunks read as it is sent: `{size}` (`~{size}` for a literal8), then the bytes. */
export interface StreamedLiteral {
  readonly kind: 'streamed-literal';
  readonly size: number;
  /** A literal8 (RFC 3516 §4.2): BINARY data holding a NUL. */
  readonly tilde: boolean;
  /** The bytes, read anew at each call; throws BytesGoneError if they went away meanwhile. */
  chunks(): AsyncIterable<Buffer>;
}

/** A piece of a response that may carry streamed literals. */
export type ResponsePiece = Wire | StreamedLiteral;

function isStreamed(p: ResponsePiece): p is StreamedLiteral {
  return typeof p === 'object' && !Buffer.isBuffer(p);
}

/**
 * Sections this small may go as a quoted string (imapString decides, as it always did), so they are
 * read whole; anything larger is always a literal and is streamed.
 */
const SMALL_SECTION = 64;

/** A small value the way FETCH always answered it: a literal8 for BINARY data with a NUL. */
export function literalFor(data: Buffer, binary: boolean, utf8: boolean): Wire {
  if (binary && data.includes(0)) return literal8(data);
  return imapString(data, { utf8, literal: data.length > SMALL_SECTION || undefined });
}

/** Where one message's bytes are read from (the session's rights-checked store, the message's owner). */
export interface MessageRef {
  store: MailStore;
  account: string;
  emailId: string;
}

export interface SectionRequest {
  plan: SectionPlan;
  binary: boolean;
  utf8: boolean;
  partial?: { start: number; length?: number };
  /** How a value of at most SMALL_SECTION bytes is written (default: literalFor, as FETCH does). */
  small?: (data: Buffer) => Wire;
}

/** Bytes of known size, read on demand (again at each call of chunks()). */
export interface PlannedBytes {
  size: number;
  chunks(): AsyncIterable<Buffer>;
}

/** Opens [start, end) of the message anew; a message gone since it was planned is BytesGoneError. */
export async function reopen(ref: MessageRef, start: number, end: number): Promise<ByteSource> {
  const source = await ref.store.openMessage(ref.account, ref.emailId, { start, end });
  if (!source) throw new BytesGoneError(ref.emailId);
  return source;
}

export function windowBounds(total: number, partial: SectionRequest['partial']): { start: number; end: number } {
  if (!partial) return { start: 0, end: total };
  const start = Math.min(partial.start, total);
  return { start, end: partial.length === undefined ? total : Math.min(start + partial.length, total) };
}

/**
 * A stored range, decoded when the plan says so, clipped to the partial window; null when the
 * message is gone before anything was read. A decoded range is decoded once here to learn its size.
 */
async function plannedBytes(ref: MessageRef, plan: Extract<SectionPlan, { kind: 'range' }>, partial: SectionRequest['partial']): Promise<PlannedBytes | null> {
  const first = await ref.store.openMessage(ref.account, ref.emailId, { start: plan.start, end: plan.end });
  if (!first) return null;
  const encoding = plan.decode;
  if (!encoding) {
    const w = windowBounds(first.size, partial);
    const start = plan.start + w.start;
    const end = plan.start + w.end;
    return {
      size: end - start,
      chunks: async function* () {
        yield* (await reopen(ref, start, end)).chunks();
      },
    };
  }
  let decodedSize = 0;
  for await (const piece of decodeTransferChunks(first.chunks(), encoding)) decodedSize += piece.length;
  const w = windowBounds(decodedSize, partial);
  return {
    size: w.end - w.start,
    chunks: async function* () {
      const source = await reopen(ref, plan.start, plan.end);
      yield* windowOf(decodeTransferChunks(source.chunks(), encoding), w.start, w.end);
    },
  };
}

/** Header blocks up to this size are read whole to be filtered; larger ones (hostile) are streamed. */
const WHOLE_HEADER = 256 * 1024;

/**
 * HEADER.FIELDS(.NOT) of a header block, clipped to the partial window; null when the message is
 * gone. A block over WHOLE_HEADER is filtered as it is read, once to learn the size, again to send.
 */
export async function filteredHeader(ref: MessageRef, plan: Extract<SectionPlan, { kind: 'fields' }>, partial: SectionRequest['partial']): Promise<PlannedBytes | null> {
  const header = await ref.store.openMessage(ref.account, ref.emailId, { start: plan.start, end: plan.end });
  if (!header) return null;
  if (header.size <= WHOLE_HEADER) {
    const data = filterPlannedHeader(plan, await readAll(header));
    const w = windowBounds(data.length, partial);
    const part = data.subarray(w.start, w.end);
    return {
      size: part.length,
      chunks: async function* () {
        yield part;
      },
    };
  }
  let filteredSize = 0;
  for await (const piece of filterHeaderChunks(header.chunks(), plan.fields, plan.not)) filteredSize += piece.length;
  const w = windowBounds(filteredSize, partial);
  return {
    size: w.end - w.start,
    chunks: async function* () {
      const source = await reopen(ref, plan.start, plan.end);
      yield* windowOf(filterHeaderChunks(source.chunks(), plan.fields, plan.not), w.start, w.end);
    },
  };
}

async function containsNul(bytes: PlannedBytes): Promise<boolean> {
  for await (const chunk of bytes.chunks()) if (chunk.includes(0)) return true;
  return false;
}

/**
 * BODY[…] / BINARY[…] of one message as a response value: null for a part (or message) that does not
 * exist, a small value read whole, or a streamed literal. Nothing is written here; BytesGoneError
 * from here means nothing of the message was sent yet.
 */
export async function sectionValue(ref: MessageRef, req: SectionRequest): Promise<ResponsePiece | null> {
  const { plan, binary, utf8 } = req;
  if (plan.kind === 'none') return null;
  const small = req.small ?? ((data: Buffer): Wire => literalFor(data, binary, utf8));
  const bytes = plan.kind === 'fields' ? await filteredHeader(ref, plan, req.partial) : await plannedBytes(ref, plan, req.partial);
  return bytes && (await asLiteral(bytes, binary, small));
}

/**
 * `bytes` as a response value: read whole through `small` when at most SMALL_SECTION long, else a
 * streamed literal (a literal8 when `binary` and a NUL is among them, found by a first pass).
 */
export async function asLiteral(bytes: PlannedBytes, binary: boolean, small: (data: Buffer) => Wire): Promise<ResponsePiece> {
  if (bytes.size <= SMALL_SECTION) {
    const parts: Buffer[] = [];
    for await (const chunk of bytes.chunks()) parts.push(chunk);
    return small(Buffer.concat(parts));
  }
  const tilde = binary && (await containsNul(bytes));
  return { kind: 'streamed-literal', size: bytes.size, tilde, chunks: () => bytes.chunks() };
}

/** BINARY.SIZE[…]: the decoded size (0 for a part that does not exist), counted without keeping the bytes. */
export async function sectionSize(ref: MessageRef, plan: SectionPlan): Promise<number> {
  if (plan.kind === 'none') return 0;
  const bytes = plan.kind === 'fields' ? await filteredHeader(ref, plan, undefined) : await plannedBytes(ref, plan, undefined);
  return bytes?.size ?? 0;
}

/**
 * Writes a response whose pieces may include streamed literals, a chunk at a time with the socket's
 * back-pressure. A literal whose bytes cannot all be read (BytesGoneError, a store failure) cannot be
 * completed and nothing valid can follow it (not even BYE): the connection is closed. False then.
 */
export async function writeResponse(s: ImapSession, pieces: readonly ResponsePiece[]): Promise<boolean> {
  let run: Wire[] = [];
  for (const p of pieces) {
    if (!isStreamed(p)) {
      run.push(p);
      continue;
    }
    run.push(`${p.tilde ? '~' : ''}{${p.size}}\r\n`);
    s.write(run);
    run = [];
    if (!(await streamLiteral(s, p))) return false;
  }
  s.write(run);
  return true;
}

async function streamLiteral(s: ImapSession, literal: StreamedLiteral): Promise<boolean> {
  let sent = 0;
  try {
    for await (const chunk of literal.chunks()) {
      if (s.isClosed) return false;
      sent += chunk.length;
      if (sent > literal.size) break;
      s.write(chunk);
      await s.connection.drain();
    }
    if (sent !== literal.size) throw new Error(`literal of ${literal.size} bytes came out as ${sent}`);
    return true;
  } catch (err) {
    s.logger.warn({ err, sent, size: literal.size }, 'imap literal cut short: its bytes could not all be read; closing the connection');
    s.destroy();
    return false;
  }
}
