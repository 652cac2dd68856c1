// CATENATE (RFC 4469): builds a message from literal text and IMAP URLs (RFC 5092, the relative
// "/mailbox;UIDVALIDITY=n/;UID=n/;SECTION=x/;PARTIAL=a.b" form) that point into the user's own
// mailboxes. Any URL that cannot be resolved fails the whole APPEND with NO [BADURL].
import type { ImapSession } from './session.js';
import { ImapNoError } from './proto/errors.js';
import { parseSection } from './fetch/items.js';
import { sectionBytes } from './fetch/section.js';
import { normalizeName } from './mailbox-name.js';

export type CatenatePart = { kind: 'text'; data: Buffer } | { kind: 'url'; url: string };

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

async function resolveUrl(s: ImapSession, url: string): Promise<Buffer> {
  const u = parseImapUrl(url);
  if (!u) throw badUrl(url, 'Invalid IMAP URL');
  const box = await s.store.findMailboxByPath(s.account!, u.mailbox);
  if (!box) throw badUrl(url, 'URL mailbox does not exist');
  if (u.uidValidity !== undefined && u.uidValidity !== box.uidValidity) throw badUrl(url, 'URL UIDVALIDITY does not match');
  const [meta] = await s.store.getMessages(s.account!, box.id, [u.uid], { parsed: true });
  if (!meta || !meta.parsed) throw badUrl(url, 'URL message does not exist');
  const raw = await s.store.readMessage(s.account!, meta.emailId);
  if (!raw) throw badUrl(url, 'URL message does not exist');
  let data: Buffer | null = raw;
  if (u.section !== undefined && u.section !== '') {
    let spec;
    try {
      spec = parseSection(u.section.toUpperCase(), false);
    } catch {
      throw badUrl(url, 'Invalid URL section');
    }
    data = sectionBytes(raw, meta.parsed.body, spec, false);
    if (!data) throw badUrl(url, 'URL section does not exist');
  }
  if (u.partial) {
    const end = u.partial.length === undefined ? data.length : u.partial.start + u.partial.length;
    data = data.subarray(Math.min(u.partial.start, data.length), Math.min(end, data.length));
  }
  return data;
}

/** Concatenates the parts; `limit` bounds the result (the literal size limit). */
export async function catenate(s: ImapSession, parts: CatenatePart[], limit: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for (const p of parts) {
    const b = p.kind === 'text' ? p.data : await resolveUrl(s, p.url);
    size += b.length;
    if (size > limit) throw new ImapNoError('Message too large', 'TOOBIG');
    out.push(b);
  }
  return Buffer.concat(out);
}
