// URLAUTH (RFC 4467): authorized IMAP URLs. GENURLAUTH signs a URL naming one of the user's messages
// with a per-mailbox secret (kept as a store setting, so it survives restarts); URLFETCH verifies
// the token and the URL's access identifier and returns the data; RESETKEY replaces the secret,
// invalidating every URL issued before.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ImapSession } from './session.js';
import type { MailStore, MimePart } from '../store/types.js';
import { normalizeName } from './mailbox-name.js';
import { parseSection, type SectionSpec } from './fetch/items.js';
import { findPart, sectionPlan } from './fetch/section.js';
import { convertPart } from './fetch/binary-convert.js';
import { asLiteral, sectionValue, type MessageRef, type ResponsePiece } from './fetch/literal-stream.js';
import { imapString, literal8 } from './proto/serialize.js';

export interface AuthUrl {
  /** The URL up to and including `;URLAUTH=<access>` (what the token signs). */
  rump: string;
  owner: string;
  host: string;
  mailbox: string;
  uidValidity?: number;
  uid: number;
  section?: string;
  partial?: { start: number; length?: number };
  expire?: Date;
  access: string;
  mechanism?: string;
  token?: string;
}

const URL_RE =
  /^(imap:\/\/([^@/;]+)(?:;AUTH=[^@/]*)?@([^/]+)\/([^;/]+(?:\/[^;/]+)*?)(?:;UIDVALIDITY=(\d+))?\/;UID=(\d+)(?:\/;SECTION=([^/;]*))?(?:\/;PARTIAL=(\d+)(?:\.(\d+))?)?(?:;EXPIRE=([^;]+))?;URLAUTH=([^:;]+))(?::([A-Za-z0-9-]+):([0-9a-fA-F]{32,}))?$/i;

export function parseAuthUrl(url: string): AuthUrl | undefined {
  const m = URL_RE.exec(url);
  if (!m) return undefined;
  try {
    const u: AuthUrl = {
      rump: m[1]!,
      owner: decodeURIComponent(m[2]!),
      host: m[3]!,
      mailbox: normalizeName(decodeURIComponent(m[4]!)),
      uid: Number(m[6]),
      access: decodeURIComponent(m[11]!),
    };
    if (m[5]) u.uidValidity = Number(m[5]);
    if (m[7] !== undefined) u.section = decodeURIComponent(m[7]);
    if (m[8] !== undefined) u.partial = { start: Number(m[8]), ...(m[9] !== undefined ? { length: Number(m[9]) } : {}) };
    if (m[10]) u.expire = new Date(decodeURIComponent(m[10]));
    if (m[12]) u.mechanism = m[12].toUpperCase();
    if (m[13]) u.token = m[13].toLowerCase();
    return u;
  } catch {
    return undefined;
  }
}

/** The account a URL's owner names: the user itself, or `local@host` when only the local part is given. */
export async function ownerAccount(s: ImapSession, u: AuthUrl): Promise<string | undefined> {
  const candidates = u.owner.includes('@') ? [u.owner] : [u.owner, `${u.owner}@${u.host}`];
  if (s.account && candidates.some((c) => c.toLowerCase() === s.account!.toLowerCase())) return s.account;
  for (const c of candidates) if (await s.deps.store.getAccount(c)) return c;
  return undefined;
}

const keyName = (mailboxId: string): string => `imap-urlauth-key:${mailboxId}`;

async function mailboxKey(store: MailStore, account: string, mailboxId: string, create: boolean): Promise<Buffer | undefined> {
  const v = (await store.getSetting(account, keyName(mailboxId))).value;
  if (typeof v === 'string') return Buffer.from(v, 'hex');
  if (!create) return undefined;
  const key = randomBytes(32);
  await store.setSetting(account, keyName(mailboxId), key.toString('hex'));
  return key;
}

export async function resetKey(s: ImapSession, account: string, mailboxId: string): Promise<void> {
  await s.store.setSetting(account, keyName(mailboxId), randomBytes(32).toString('hex'));
}

function sign(key: Buffer, rump: string): string {
  return createHmac('sha256', key).update(rump).digest('hex').slice(0, 32);
}

/** Token for a URL owned by the session's user (GENURLAUTH); undefined when it cannot be issued. */
export async function generateToken(s: ImapSession, u: AuthUrl): Promise<string | undefined> {
  const box = await s.store.findMailboxByPath(s.account!, u.mailbox);
  if (!box) return undefined;
  const key = await mailboxKey(s.store, s.account!, box.id, true);
  return key ? sign(key, u.rump) : undefined;
}

function accessAllows(s: ImapSession, access: string): boolean {
  const a = access.toLowerCase();
  if (a === 'anonymous') return true;
  if (a === 'authuser') return s.account !== undefined;
  if (a.startsWith('user+')) return s.account !== undefined && a.slice(5) === s.account.toLowerCase();
  return false; // submit+… is for a submission server
}

/** What a valid URL names: the message, and the section and partial range the URL asks for. */
export interface UrlTarget {
  /** Where the message's bytes are read from, as the URL's data is sent (never whole). */
  ref: MessageRef;
  size: number;
  root: MimePart;
  section?: SectionSpec;
  partial?: { start: number; length?: number };
}

/** URLFETCH: the message a valid URL names, or null (NIL) for anything invalid or not permitted. */
export async function resolveAuthUrl(s: ImapSession, url: string): Promise<UrlTarget | null> {
  const u = parseAuthUrl(url);
  if (!u || u.mechanism !== 'INTERNAL' || !u.token) return null;
  if (u.expire && !(u.expire.getTime() > Date.now())) return null;
  if (!accessAllows(s, u.access)) return null;
  const account = await ownerAccount(s, u);
  if (!account) return null;
  // The URL's own authorization (the owner's signed token and its access identifier, RFC 4467) is
  // what grants access here, not mailbox rights: it is read with the store itself, not the
  // session's rights-checked view, and only once the token has been verified.
  const store = s.deps.store;
  const box = await store.findMailboxByPath(account, u.mailbox);
  if (!box || (u.uidValidity !== undefined && u.uidValidity !== box.uidValidity)) return null;
  const key = await mailboxKey(store, account, box.id, false);
  if (!key) return null;
  const want = Buffer.from(sign(key, u.rump), 'hex');
  const got = Buffer.from(u.token, 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  let section: SectionSpec | undefined;
  if (u.section) {
    try {
      section = parseSection(u.section.toUpperCase(), false);
    } catch {
      return null;
    }
  }
  const [meta] = await store.getMessages(account, box.id, [u.uid], { parsed: true });
  if (!meta?.parsed) return null;
  const ref: MessageRef = { store, account, emailId: meta.emailId };
  return { ref, size: meta.size, root: meta.parsed.body, ...(section ? { section } : {}), ...(u.partial ? { partial: u.partial } : {}) };
}

/**
 * The URL's data as stored (RFC 4467 URLFETCH, RFC 5524 BODY), always a literal; null when the
 * section (or the message, since) does not exist.
 */
export function urlBody(t: UrlTarget): Promise<ResponsePiece | null> {
  return urlSection(t, false);
}

/** The URL's section as stored, a literal (a literal8 when `binary` and it holds a NUL). */
function urlSection(t: UrlTarget, binary: boolean): Promise<ResponsePiece | null> {
  const plan = sectionPlan(t.root, t.section ?? { part: [] }, false, t.size);
  const small = binary ? literal8 : (data: Buffer) => imapString(data, { literal: true });
  return sectionValue(t.ref, { plan, binary, utf8: false, small, ...(t.partial ? { partial: t.partial } : {}) });
}

/**
 * The body part a URL names (the whole message without a section; an embedded message for TEXT),
 * for BODYPARTSTRUCTURE (RFC 5524 §3.2) and BINARY; null for header sections and parts that do not exist.
 */
export function urlStructure(t: UrlTarget): MimePart | null {
  const spec = t.section;
  if (!spec) return t.root;
  const part = spec.part.length > 0 ? findPart(t.root, spec.part) : t.root;
  if (!part || !spec.text) return part;
  if (spec.text !== 'TEXT') return null;
  return spec.part.length === 0 ? t.root : (part.message?.body ?? null);
}

/**
 * RFC 5524 BINARY: the URL's data with every Content-Transfer-Encoding undone (a literal8 when it
 * holds a NUL), and the structure of that data. Header sections carry no encoding and come as stored
 * (structure null). Throws UnknownTransferEncoding for a part that cannot be decoded.
 */
export async function urlBinary(t: UrlTarget): Promise<{ value: ResponsePiece; structure: MimePart | null } | null> {
  const part = urlStructure(t);
  if (!part) {
    const data = await urlSection(t, true);
    return data ? { value: data, structure: null } : null;
  }
  // The whole message (or an embedded one's TEXT) keeps its header block; a numbered part is its body.
  const converted = await convertPart(t.ref, part, part === t.root && !t.section, t.partial);
  const value = await asLiteral(converted.bytes, converted.nul, literal8);
  return { value, structure: converted.structure };
}
