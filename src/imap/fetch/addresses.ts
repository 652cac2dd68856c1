// RFC 5322 address lists → IMAP ENVELOPE addresses (RFC 3501 §7.4.2): groups become a start marker
// (NIL NIL "name" NIL) and an end marker (NIL NIL NIL NIL), route-addrs keep their route in the adl
// field, a trailing comment names an address without a display name, and comments never leak into
// the local part or domain. Pure and lenient: malformed input yields what can be recovered.
import type { EnvelopeAddress } from '../../store/types.js';

type Tok =
  | { k: 'atom'; v: string }
  | { k: 'quoted'; v: string }
  | { k: 'comment'; v: string }
  | { k: 'literal'; v: string }
  | { k: 'special'; v: string };

const SPECIALS = '<>@,:;.';

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
      while (j < s.length && !' \t\r\n()"[<>@,:;.'.includes(s[j]!)) j++;
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

/** One mailbox (display-name, angle-addr or addr-spec); null when nothing addressable is there. */
function mailbox(toks: Tok[]): EnvelopeAddress | null {
  const lt = toks.findIndex((t) => isSpecial(t, '<'));
  if (lt >= 0) {
    let gt = toks.findIndex((t, k) => k > lt && isSpecial(t, '>'));
    if (gt < 0) gt = toks.length;
    const name = phrase(toks.slice(0, lt));
    let inner = toks.slice(lt + 1, gt).filter((t) => t.k !== 'comment');
    let adl: string | null = null;
    const colon = inner.findIndex((t) => isSpecial(t, ':'));
    if (colon >= 0 && isSpecial(inner[0], '@')) {
      adl = inner
        .slice(0, colon)
        .map((t) => t.v)
        .join('');
      inner = inner.slice(colon + 1);
    }
    if (inner.length === 0) return name ? { name, adl: null, mailbox: null, host: null } : null;
    const at = inner.findIndex((t) => isSpecial(t, '@'));
    const local = joinDotted(at >= 0 ? inner.slice(0, at) : inner);
    const host = at >= 0 ? joinDotted(inner.slice(at + 1)) : '';
    return { name, adl, mailbox: local, host: host || 'MISSING_DOMAIN' };
  }
  const comments = toks.filter((t) => t.k === 'comment' && t.v.length > 0);
  const core = toks.filter((t) => t.k !== 'comment');
  if (core.length === 0) return null;
  const at = core.findIndex((t) => isSpecial(t, '@'));
  const local = joinDotted(at >= 0 ? core.slice(0, at) : core);
  if (!local) return null;
  const host = at >= 0 ? joinDotted(core.slice(at + 1)) : '';
  const name = comments.length > 0 ? comments[comments.length - 1]!.v : null;
  return { name, adl: null, mailbox: local, host: host || 'MISSING_DOMAIN' };
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

export function parseAddressList(value: string | null): EnvelopeAddress[] | null {
  if (value === null) return null;
  const toks = tokenize(value);
  const out: EnvelopeAddress[] = [];
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
      out.push({ name: null, adl: null, mailbox: phrase(toks.slice(i, groupColon)) ?? '', host: null });
      for (const m of splitCommas(toks.slice(groupColon + 1, end))) {
        const a = mailbox(m);
        if (a && a.mailbox !== null) out.push(a);
      }
      out.push({ name: null, adl: null, mailbox: null, host: null });
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
    const a = mailbox(toks.slice(i, k));
    if (a && a.mailbox !== null) out.push(a);
    i = k + 1;
  }
  return out.length > 0 ? out : null;
}
