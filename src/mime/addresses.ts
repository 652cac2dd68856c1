// The one RFC 5322 address parser. A careful tokenizer (quoted strings, nested comments, domain
// literals, route-addrs, groups) yields a neutral list of mailboxes and groups, from which both
// protocol forms are derived:
//  - IMAP ENVELOPE (RFC 3501 §7.4.2): raw names (encoded words kept), groups as a start marker
//    (NIL NIL "name" NIL) and an end marker (NIL NIL NIL NIL), routes in the adl field, a trailing
//    comment naming an address without a display name;
//  - JMAP EmailAddress / EmailAddressGroup (RFC 8621 §4.1.2.3-4): the same names, decoded.
// An address without a domain (`localonly`, `<nodomain>`) keeps what was written: JMAP `email` is
// the local part alone, IMAP has it as the mailbox with the host "MISSING_DOMAIN" (what UW-IMAP and
// Dovecot practice: NIL would read as a group marker). Pure and lenient: malformed input yields what
// can be recovered, never an exception.
import type { EmailAddress, EmailAddressGroup, EnvelopeAddress } from './types.js';
import { decodeWords } from './decode.js';

/** IMAP host of an address written without a domain. */
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

/** One mailbox as written: name raw (encoded words kept), domain null when none was written. */
export interface ParsedMailbox {
  name: string | null;
  route: string | null;
  local: string;
  domain: string | null;
}

export type AddressItem = { kind: 'mailbox'; mailbox: ParsedMailbox } | { kind: 'group'; name: string; members: ParsedMailbox[] };

type Tok =
  | { k: 'atom'; v: string }
  | { k: 'quoted'; v: string }
  | { k: 'comment'; v: string }
  | { k: 'literal'; v: string }
  | { k: 'special'; v: string };

const SPECIALS = '<>@,:;.';
const ATOM_STOP = ' \t\r\n()"[<>@,:;.';

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(') {
      let depth = 1;
      let v = '';
      i++;
      while (i < s.length && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
        v += d;
        i++;
      }
      out.push({ k: 'comment', v: v.trim() });
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      i++;
      out.push({ k: 'quoted', v });
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      const stop = end < 0 ? s.length : end + 1;
      out.push({ k: 'literal', v: s.slice(i, stop) });
      i = stop;
    } else if (SPECIALS.includes(c)) {
      out.push({ k: 'special', v: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !ATOM_STOP.includes(s[j]!)) j++;
      if (j === i) j++;
      out.push({ k: 'atom', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const isSpecial = (t: Tok | undefined, v: string): boolean => t?.k === 'special' && t.v === v;

/** Joins local-part or domain tokens: atoms, quoted strings and dots, without spaces. */
function joinDotted(toks: Tok[]): string {
  return toks
    .filter((t) => t.k !== 'comment')
    .map((t) => (t.k === 'quoted' ? (/^[^\s"\\()<>@,:;.[\]]+$/.test(t.v) ? t.v : `"${t.v}"`) : t.v))
    .join('');
}

function phrase(toks: Tok[]): string | null {
  const words = toks.filter((t) => t.k === 'atom' || t.k === 'quoted' || (t.k === 'special' && t.v === '.')).map((t) => t.v);
  if (words.length === 0) return null;
  return words.join(' ').replace(/ \. /g, '. ').replace(/ \.$/, '.');
}

function addrSpec(toks: Tok[]): { local: string; domain: string | null } {
  const at = toks.findIndex((t) => isSpecial(t, '@'));
  const local = joinDotted(at >= 0 ? toks.slice(0, at) : toks);
  const domain = at >= 0 ? joinDotted(toks.slice(at + 1)) : '';
  return { local, domain: domain || null };
}

/** One mailbox (display-name angle-addr, or addr-spec); null when nothing addressable is there. */
function mailbox(toks: Tok[]): ParsedMailbox | null {
  const lt = toks.findIndex((t) => isSpecial(t, '<'));
  if (lt >= 0) {
    let gt = toks.findIndex((t, k) => k > lt && isSpecial(t, '>'));
    if (gt < 0) gt = toks.length;
    const name = phrase(toks.slice(0, lt));
    let inner = toks.slice(lt + 1, gt).filter((t) => t.k !== 'comment');
    let route: string | null = null;
    const colon = inner.findIndex((t) => isSpecial(t, ':'));
    if (colon >= 0 && isSpecial(inner[0], '@')) {
      route = inner
        .slice(0, colon)
        .map((t) => t.v)
        .join('');
      inner = inner.slice(colon + 1);
    }
    const { local, domain } = addrSpec(inner);
    return local ? { name, route, local, domain } : null;
  }
  const comments = toks.filter((t) => t.k === 'comment' && t.v.length > 0);
  const core = toks.filter((t) => t.k !== 'comment');
  if (core.length === 0) return null;
  const { local, domain } = addrSpec(core);
  if (!local) return null;
  const name = comments.length > 0 ? comments[comments.length - 1]!.v : null;
  return { name, route: null, local, domain };
}

/** Splits tokens at top-level commas. */
function splitCommas(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [];
  let cur: Tok[] = [];
  let inAngle = false;
  for (const t of toks) {
    if (isSpecial(t, '<')) inAngle = true;
    if (isSpecial(t, '>')) inAngle = false;
    if (!inAngle && isSpecial(t, ',')) {
      out.push(cur);
      cur = [];
    } else cur.push(t);
  }
  out.push(cur);
  return out;
}

/** An address-list header value (unfolded or not) → its mailboxes and groups. */
export function parseAddresses(value: string | null): AddressItem[] {
  if (value === null) return [];
  const toks = tokenize(value);
  const out: AddressItem[] = [];
  let i = 0;
  while (i < toks.length) {
    // A group: phrase ":" [mailbox-list] ";" — the colon comes before any "<" or "@".
    let j = i;
    let groupColon = -1;
    while (j < toks.length && !isSpecial(toks[j], ',')) {
      if (isSpecial(toks[j], '<') || isSpecial(toks[j], '@')) break;
      if (isSpecial(toks[j], ':')) {
        groupColon = j;
        break;
      }
      j++;
    }
    if (groupColon >= 0) {
      let end = toks.findIndex((t, k) => k > groupColon && isSpecial(t, ';'));
      if (end < 0) end = toks.length;
      const members = splitCommas(toks.slice(groupColon + 1, end))
        .map(mailbox)
        .filter((m): m is ParsedMailbox => m !== null);
      out.push({ kind: 'group', name: phrase(toks.slice(i, groupColon)) ?? '', members });
      i = end + 1;
      while (i < toks.length && isSpecial(toks[i], ',')) i++;
      continue;
    }
    // A single mailbox up to the next top-level comma.
    let k = i;
    let inAngle = false;
    while (k < toks.length) {
      if (isSpecial(toks[k], '<')) inAngle = true;
      if (isSpecial(toks[k], '>')) inAngle = false;
      if (!inAngle && isSpecial(toks[k], ',')) break;
      k++;
    }
    const m = mailbox(toks.slice(i, k));
    if (m) out.push({ kind: 'mailbox', mailbox: m });
    i = k + 1;
  }
  return out;
}

function envelopeAddress(m: ParsedMailbox): EnvelopeAddress {
  return { name: m.name, adl: m.route, mailbox: m.local, host: m.domain ?? MISSING_DOMAIN };
}

/** IMAP ENVELOPE form; null (NIL) when the header is absent or holds no address. */
export function toEnvelopeAddresses(raw: string | null): EnvelopeAddress[] | null {
  const out: EnvelopeAddress[] = [];
  for (const item of parseAddresses(raw)) {
    if (item.kind === 'mailbox') {
      out.push(envelopeAddress(item.mailbox));
      continue;
    }
    out.push({ name: null, adl: null, mailbox: item.name, host: null });
    for (const m of item.members) out.push(envelopeAddress(m));
    out.push({ name: null, adl: null, mailbox: null, host: null });
  }
  return out.length > 0 ? out : null;
}

/** The address as JMAP writes it: `local@domain`, or what was written when there is no domain. */
export function emailOf(m: ParsedMailbox): string {
  return m.domain === null ? m.local : `${m.local}@${m.domain}`;
}

function decodedName(raw: string | null): string | null {
  if (raw === null) return null;
  const name = decodeWords(raw).trim();
  return name === '' ? null : name;
}

function jmapAddress(m: ParsedMailbox): EmailAddress {
  return { name: decodedName(m.name), email: emailOf(m) };
}

/** JMAP `asGroupedAddresses`: consecutive ungrouped addresses share one null-named group. */
export function toAddressGroups(raw: string | null): EmailAddressGroup[] | null {
  if (raw === null) return null;
  const out: EmailAddressGroup[] = [];
  let ungrouped: EmailAddressGroup | undefined;
  for (const item of parseAddresses(raw)) {
    if (item.kind === 'group') {
      ungrouped = undefined;
      out.push({ name: decodedName(item.name), addresses: item.members.map(jmapAddress) });
    } else {
      if (ungrouped === undefined) {
        ungrouped = { name: null, addresses: [] };
        out.push(ungrouped);
      }
      ungrouped.addresses.push(jmapAddress(item.mailbox));
    }
  }
  return out;
}

/** JMAP `asAddresses`: groups flattened. */
export function toEmailAddresses(raw: string | null): EmailAddress[] | null {
  const groups = toAddressGroups(raw);
  return groups === null ? null : groups.flatMap((g) => g.addresses);
}

/** Decoded text of an address list for search: `Name <local@domain>`, group names, one per line. */
export function addressSearchText(raw: string | null): string {
  const lines: string[] = [];
  const one = (m: ParsedMailbox): string => {
    const name = decodedName(m.name);
    return name ? `${name} <${emailOf(m)}>` : emailOf(m);
  };
  for (const item of parseAddresses(raw)) {
    if (item.kind === 'mailbox') lines.push(one(item.mailbox));
    else {
      const name = decodedName(item.name);
      if (name) lines.push(name);
      for (const member of item.members) lines.push(one(member)); // groups may be huge: never spread
    }
  }
  return lines.join('\n');
}

/** `<a@b> <c@d>` → ['a@b', 'c@d']; falls back to whitespace-separated tokens. */
export function parseMessageIds(raw: string | null): string[] | null {
  if (raw === null) return null;
  const ids = [...raw.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  if (ids.length) return ids;
  const tokens = raw.split(/[\s,]+/).filter((t) => t.includes('@'));
  return tokens.length ? tokens : null;
}
