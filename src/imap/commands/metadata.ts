// GETMETADATA and SETMETADATA (RFC 5464): annotations on the server (mailbox "") and on mailboxes,
// /private ones per user and /shared ones seen by everyone who sees the mailbox (or the server).
// Server-wide /shared entries concern every user, so users cannot change them (NO [NOPERM]);
// /shared/admin is the postmaster address when one is configured (§3.2.1.1).
import type { CommandOk, CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import type { Args } from '../proto/args.js';
import type { Token } from '../proto/tokens.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { decodeName, displayName, encodeName, findMailbox } from '../mailbox-name.js';
import { literal8, nstring, type Wire } from '../proto/serialize.js';
import { MetadataLimitError, type MetadataChange, type MetadataDepth, type MetadataEntry, type MetadataLimits } from '../../store/types.js';

/** Per value and per mailbox (or server) for one user; Dovecot's defaults are of the same order. */
const LIMITS: MetadataLimits = { maxValueSize: 64 * 1024, maxEntries: 100 };
const MAX_NAME_OCTETS = 1024;

/**
 * RFC 5464 §3.2: entry names start with /private or /shared, hold no `*`, `%`, control characters,
 * consecutive or trailing `/`; they compare case-insensitively, so they are lower-cased here.
 * `top` allows the bare /private or /shared (a GETMETADATA DEPTH root).
 */
function entryName(t: Token, top: boolean): string {
  if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError('Expected an entry name');
  const name = (t.type === 'atom' ? t.value : t.value.toString('utf8')).toLowerCase();
  if (Buffer.byteLength(name) > MAX_NAME_OCTETS) throw new ImapSyntaxError('Entry name too long');
  if (!/^\/(private|shared)(\/[^/]+)*$/.test(name) || /[*%\u0000-\u001f\u007f\ufffd]/.test(name)) throw new ImapSyntaxError(`Invalid entry name`);
  if (!top && (name === '/private' || name === '/shared')) throw new ImapSyntaxError('Entry name needs a part after /private or /shared');
  return name;
}

export interface Target {
  /** The mailbox's account (another user's for a shared mailbox); the user's own for the server. */
  owner: string;
  /** Store mailbox id; null for the server. */
  id: string | null;
  wire: Wire;
}

async function target(s: ImapSession, args: Args): Promise<Target> {
  const wire = args.strictAstring('mailbox name');
  if (wire === '') return { owner: s.account!, id: null, wire: '""' };
  let path: string;
  try {
    path = decodeName(s, wire);
  } catch (err) {
    if (err instanceof ImapSyntaxError) throw new ImapNoError('Mailbox does not exist (invalid name)', 'NONEXISTENT');
    throw err;
  }
  const box = await findMailbox(s, path);
  return { owner: box.owner, id: box.id, wire: encodeName(s, displayName(s, box.owner, box.path)) };
}

/** A value: quoted string and literal as IMAP strings, literal8 when it holds NUL (RFC 5464 §5). */
function valueWire(v: Buffer, utf8: boolean): Wire {
  if (v.includes(0)) return literal8(v);
  return nstring(v, { utf8 });
}

export interface GetOptions {
  maxSize: number | undefined;
  depth: MetadataDepth;
}

function getOptions(items: Token[]): GetOptions {
  const o: GetOptions = { maxSize: undefined, depth: 0 };
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i];
    const val = items[i + 1];
    if (key?.type !== 'atom' || val?.type !== 'atom') throw new ImapSyntaxError('Expected MAXSIZE n or DEPTH 0/1/infinity');
    const k = key.value.toUpperCase();
    if (k === 'MAXSIZE' && /^\d{1,10}$/.test(val.value) && Number(val.value) <= 4294967295) o.maxSize = Number(val.value);
    else if (k === 'DEPTH' && ['0', '1', 'INFINITY'].includes(val.value.toUpperCase()))
      o.depth = val.value === '0' ? 0 : val.value === '1' ? 1 : 'infinity';
    else throw new ImapSyntaxError(`Invalid GETMETADATA option ${key.value}`);
  }
  return o;
}

/** Server entries the configuration provides, among those the request covers. */
function configuredEntries(s: ImapSession, names: readonly string[], depth: MetadataDepth): MetadataEntry[] {
  const admin = s.deps.adminContact;
  if (admin === undefined) return [];
  const covered = names.some((n) => n === '/shared/admin' || (depth !== 0 && n === '/shared'));
  return covered ? [{ name: '/shared/admin', value: Buffer.from(`mailto:${admin}`, 'utf8') }] : [];
}

/**
 * Sends the METADATA response for `names` of one mailbox (or the server); returns the size of the
 * largest value left out for MAXSIZE (0 when none was). `askedNil`: names asked for without a value
 * read NIL (GETMETADATA, RFC 5464 §4.2); LIST's METADATA return option leaves them out (RFC 9590 §3).
 */
export async function sendMetadata(s: ImapSession, where: Target, names: readonly string[], opts: GetOptions, askedNil: boolean): Promise<number> {
  const stored = await s.store.getMetadata(where.owner, where.id, names, opts.depth);
  const entries = where.id === null ? [...stored.filter((e) => e.name !== '/shared/admin'), ...configuredEntries(s, names, opts.depth)] : stored;
  const items: Wire[] = [];
  let longest = 0;
  const present = new Set(entries.map((e) => e.name));
  for (const e of entries) {
    if (opts.maxSize !== undefined && e.value.length > opts.maxSize) {
      longest = Math.max(longest, e.value.length);
      continue;
    }
    items.push(' ', e.name, ' ', valueWire(e.value, s.utf8));
  }
  // §4.2: an entry asked for by name that has no value reads NIL (only at DEPTH 0: with a depth
  // the request names a subtree, whose existing entries are listed).
  if (askedNil && opts.depth === 0) for (const n of names) if (!present.has(n)) items.push(' ', n, ' NIL');
  if (items.length > 0) s.untagged('METADATA ', where.wire, ' (', ...items.slice(1), ')');
  return longest;
}

/** §4.2.1: entries left out for MAXSIZE are announced with the size of the largest. */
export function longEntries(longest: number, text: string): CommandOk | undefined {
  return longest > 0 ? { code: `METADATA LONGENTRIES ${longest}`, text } : undefined;
}

/**
 * LIST's METADATA return option (RFC 9590 §3): its entry names, with the GETMETADATA option MAXSIZE
 * given either inside the list (`MAXSIZE n "/shared/comment"`) or as a list of its own.
 */
export function listMetadataRequest(items: Token[]): { names: string[]; opts: GetOptions } {
  const names: string[] = [];
  let opts: GetOptions = { maxSize: undefined, depth: 0 };
  for (let i = 0; i < items.length; i++) {
    const t = items[i]!;
    if (t.type === 'list') opts = getOptions(t.items);
    else if (t.type === 'atom' && t.value.toUpperCase() === 'MAXSIZE') opts = getOptions([t, items[++i] ?? t]);
    else names.push(entryName(t, false));
  }
  if (names.length === 0) throw new ImapSyntaxError('METADATA return option needs entry names');
  if (opts.depth !== 0) throw new ImapSyntaxError('LIST METADATA takes no DEPTH');
  return { names, opts };
}

export const getmetadata: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const opts = args.peek()?.type === 'list' ? getOptions(args.list('options')) : { maxSize: undefined, depth: 0 as const };
    const where = await target(s, args);
    const t = args.next('entry names');
    const names = (t.type === 'list' ? t.items : [t]).map((n) => entryName(n, true));
    args.end();
    if (names.length === 0) throw new ImapSyntaxError('Expected at least one entry name');
    return longEntries(await sendMetadata(s, where, names, opts, true), 'GETMETADATA completed');
  },
};

export const setmetadata: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const where = await target(s, args);
    const items = args.list('entry values');
    args.end();
    if (items.length === 0 || items.length % 2 !== 0) throw new ImapSyntaxError('Expected entry names with values');
    const changes: MetadataChange[] = [];
    for (let i = 0; i < items.length; i += 2) {
      const name = entryName(items[i]!, false);
      const v = items[i + 1]!;
      let value: Buffer | null;
      if (v.type === 'atom' && v.value.toUpperCase() === 'NIL') value = null;
      else if (v.type === 'string') value = v.value;
      else throw new ImapSyntaxError('Expected a string, literal or NIL value');
      if (where.id === null && name.startsWith('/shared/')) throw new ImapNoError('Server-wide shared annotations are set by the administrator', 'NOPERM');
      changes.push({ name, value });
    }
    try {
      // The session's id as origin: its own NOTIFY registration is not told of its own write (RFC 5465 §5).
      await s.store.setMetadata(where.owner, where.id, changes, LIMITS, { origin: s.id });
    } catch (err) {
      // §4.3: the limit that stopped the write, as a METADATA response code.
      if (err instanceof MetadataLimitError)
        throw new ImapNoError(err.message, err.limit === 'size' ? `METADATA MAXSIZE ${err.max}` : 'METADATA TOOMANY');
      throw err;
    }
  },
};
