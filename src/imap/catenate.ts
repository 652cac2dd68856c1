// CATENATE (RFC 4469): builds a message from literal text and IMAP URLs (RFC 5092, the relative
// "/mailbox;UIDVALIDITY=n/;UID=n/;SECTION=x/;PARTIAL=a.b" form) that point into the user's own
// mailboxes. Any URL that cannot be resolved fails the whole APPEND with NO [BADURL].
//
// The result is written to a spool file part by part, never assembled in memory: TEXT literals that
// were spooled are copied from their files, and a URL naming a whole message (or a PARTIAL range of
// it, or a section of it, located from the stored part offsets) is streamed from the store;
// a HEADER.FIELDS section is filtered as FETCH filters it (a hostile header block is never read whole).
import type { ImapSession } from './session.js';
import { ImapNoError } from './proto/errors.js';
import { parseSection } from './fetch/items.js';
import { sectionPlan } from './fetch/section.js';
import { filteredHeader, reopen, windowBounds, type MessageRef, type PlannedBytes } from './fetch/literal-stream.js';
import { BytesGoneError } from '../store/api/byte-source.js';
import { normalizeName } from './mailbox-name.js';
import type { IncomingMessage, SpooledMessage } from '../store/index.js';
import { finishLiteral } from './spooled-literal.js';

export type CatenatePart =
  | { kind: 'text'; data: Buffer }
  /** A TEXT literal that went to a spool file as it arrived. */
  | { kind: 'spooled'; message: IncomingMessage }
  | { kind: 'url'; url: string };

interface ImapUrl {
  mailbox: string;
  uidValidity?: number;
  uid: number;
  section?: string;
  partial?: { start: number; length?: number };
}

function badUrl(url: string, why: string): ImapNoError {
  return new ImapNoError(`${why}`, `BADURL ${url.replace(/[\]\r\n]/g, '')}`);
}

export function parseImapUrl(url: string): ImapUrl | undefined {
  const m = /^\/([^;/]+(?:\/[^;/]+)*?)(?:;UIDVALIDITY=(\d+))?\/;UID=(\d+)(?:\/;SECTION=([^/]*))?(?:\/;PARTIAL=(\d+)(?:\.(\d+))?)?$/i.exec(url);
  if (!m) return undefined;
  let mailbox: string;
  try {
    mailbox = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  return {
    mailbox: normalizeName(mailbox),
    uid: Number(m[3]),
    ...(m[2] ? { uidValidity: Number(m[2]) } : {}),
    ...(m[4] !== undefined ? { section: decodeURIComponent(m[4]) } : {}),
    ...(m[5] !== undefined ? { partial: { start: Number(m[5]), ...(m[6] !== undefined ? { length: Number(m[6]) } : {}) } } : {}),
  };
}

/** A byte range of a stored message, read a chunk at a time when its chunks are asked for. */
function storedRange(ref: MessageRef, start: number, end: number): PlannedBytes {
  return {
    size: end - start,
    chunks: async function* () {
      if (end > start) yield* (await reopen(ref, start, end)).chunks();
    },
  };
}

/** What a URL names, as bytes read when they are copied: a range of a stored message, or a header block's filtered fields. */
async function resolveUrl(s: ImapSession, url: string): Promise<PlannedBytes> {
  const u = parseImapUrl(url);
  if (!u) throw badUrl(url, 'Invalid IMAP URL');
  const box = await s.store.findMailboxByPath(s.account!, u.mailbox);
  if (!box) throw badUrl(url, 'URL mailbox does not exist');
  if (u.uidValidity !== undefined && u.uidValidity !== box.uidValidity) throw badUrl(url, 'URL UIDVALIDITY does not match');
  const [meta] = await s.store.getMessages(s.account!, box.id, [u.uid], { parsed: true });
  if (!meta || !meta.parsed) throw badUrl(url, 'URL message does not exist');
  const ref: MessageRef = { store: s.store, account: s.account!, emailId: meta.emailId };
  if (u.section === undefined || u.section === '') {
    const { start, end } = windowBounds(meta.size, u.partial);
    return storedRange(ref, start, end);
  }
  let spec;
  try {
    spec = parseSection(u.section.toUpperCase(), false);
  } catch {
    throw badUrl(url, 'Invalid URL section');
  }
  const plan = sectionPlan(meta.parsed.body, spec, false, meta.size);
  if (plan.kind === 'none') throw badUrl(url, 'URL section does not exist');
  if (plan.kind === 'fields') {
    const bytes = await filteredHeader(ref, plan, u.partial);
    if (!bytes) throw badUrl(url, 'URL message does not exist');
    return bytes;
  }
  const { start, end } = windowBounds(plan.end - plan.start, u.partial);
  return storedRange(ref, plan.start + start, plan.start + end);
}

function tooBig(): ImapNoError {
  return new ImapNoError('Message too large', 'TOOBIG');
}

/** Appends the chunks to `out`, stopping with TOOBIG as soon as it is over its limit. */
async function appendChunks(chunks: AsyncIterable<Buffer>, out: IncomingMessage): Promise<void> {
  for await (const chunk of chunks) {
    await out.append(chunk);
    if (out.overflow) throw tooBig();
  }
}

async function copyUrl(s: ImapSession, url: string, out: IncomingMessage): Promise<void> {
  const bytes = await resolveUrl(s, url);
  try {
    await appendChunks(bytes.chunks(), out);
  } catch (err) {
    // The message went away (expunged, collected) since the URL was resolved.
    if (err instanceof BytesGoneError) throw badUrl(url, 'URL message does not exist');
    throw err;
  }
}

async function copySpooled(s: ImapSession, message: IncomingMessage, out: IncomingMessage): Promise<void> {
  const part = await finishLiteral(s, message, false);
  await appendChunks(part.stream() as AsyncIterable<Buffer>, out);
}

/** Concatenates the parts into a spool file; `limit` bounds the result (the literal size limit). */
export async function catenate(s: ImapSession, parts: CatenatePart[], limit: number): Promise<SpooledMessage> {
  const out = s.spool.message(limit);
  try {
    for (const p of parts) {
      if (p.kind === 'text') await out.append(p.data);
      else if (p.kind === 'spooled') await copySpooled(s, p.message, out);
      else await copyUrl(s, p.url, out);
      if (out.overflow) throw tooBig();
    }
    return await out.finish();
  } catch (err) {
    await out.discard();
    throw err;
  }
}
