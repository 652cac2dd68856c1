// MAIL FROM / RCPT TO arguments (RFC 5321 §4.1.2 paths, §4.1.3 address literals, RFC 6531 SMTPUTF8).
// Returns the address in its wire form (quoted local parts kept quoted) plus its ESMTP parameters.

export interface Mailbox {
  /** local@domain exactly as the client wrote it (quoted local part kept), without the brackets. */
  address: string;
  localPart: string;
  /** Domain, or the address literal including its brackets. */
  domain: string;
  /** The address contains non-ASCII characters (needs SMTPUTF8). */
  utf8: boolean;
}

export type EsmtpParams = Map<string, string | true>;

export type PathResult =
  | { ok: true; mailbox: Mailbox | null; params: EsmtpParams }
  | { ok: false; code: 501 | 553 | 555; enhanced: string; message: string };

const MAX_LOCAL = 64;
const MAX_DOMAIN = 255;
const MAX_PATH = 256;

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
const LABEL = /^(?:[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\-\u0080-\u{10FFFF}]*[A-Za-z0-9\u0080-\u{10FFFF}])?)$/u;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function fail(code: 501 | 553 | 555, enhanced: string, message: string): PathResult {
  return { ok: false, code, enhanced, message };
}

/**
 * Parses `FROM:<path> params` (prefix "FROM") or `TO:<path> params` (prefix "TO").
 * `<>` is accepted only when `allowNull` (the null reverse-path of bounces).
 */
export function parsePathArgument(args: string, prefix: 'FROM' | 'TO', allowNull: boolean): PathResult {
  const head = args.slice(0, prefix.length + 1).toUpperCase();
  if (head !== `${prefix}:`) return fail(501, '5.5.4', `Syntax: ${prefix === 'FROM' ? 'MAIL FROM:<address>' : 'RCPT TO:<address>'}`);
  // Many clients put a space after the colon; RFC 5321 does not, but tolerating it harms nobody.
  let rest = args.slice(prefix.length + 1).replace(/^ +/, '');
  let pathText: string;
  if (rest.startsWith('<')) {
    const end = findPathEnd(rest);
    if (end < 0) return fail(501, '5.1.7', 'Unterminated address: missing ">"');
    pathText = rest.slice(1, end);
    rest = rest.slice(end + 1);
    if (rest !== '' && !rest.startsWith(' ')) return fail(501, '5.5.4', 'Space required after the address');
  } else {
    // Bracket-less paths (seen from old scripts): the address runs to the first space.
    const sp = rest.indexOf(' ');
    pathText = sp < 0 ? rest : rest.slice(0, sp);
    rest = sp < 0 ? '' : rest.slice(sp);
    if (pathText === '') return fail(501, '5.1.7', 'Missing address');
  }
  const params = parseParams(rest.trim());
  if (typeof params === 'string') return fail(501, '5.5.4', params);
  if (pathText === '') {
    if (!allowNull) return fail(501, '5.1.3', 'Null address not allowed here');
    return { ok: true, mailbox: null, params };
  }
  if (pathText.length > MAX_PATH) return fail(501, '5.1.3', 'Address too long');
  // Source routes (@a,@b:user@c) are obsolete: RFC 5321 §4.1.1.3 says to accept and ignore them.
  if (pathText.startsWith('@')) {
    const colon = pathText.indexOf(':');
    if (colon < 0) return fail(501, '5.1.3', 'Bad source route');
    pathText = pathText.slice(colon + 1);
  }
  // RFC 5321 §4.1.1.3: RCPT TO:<Postmaster> (no domain, any case) is valid and must be accepted.
  if (!allowNull && /^postmaster$/i.test(pathText)) {
    return { ok: true, mailbox: { address: 'postmaster', localPart: 'postmaster', domain: '', utf8: false }, params };
  }
  const mailbox = parseMailbox(pathText);
  if (typeof mailbox === 'string') return fail(501, '5.1.3', mailbox);
  return { ok: true, mailbox, params };
}

/** Index of the '>' closing a path that starts with '<', skipping quoted strings; -1 if none. */
function findPathEnd(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '>') return i;
    else if (c === '<') return -1;
  }
  return -1;
}

/** The parameters, or why they are refused (RFC 3461 §4: a parameter given twice is a 501 error). */
function parseParams(text: string): EsmtpParams | string {
  const params: EsmtpParams = new Map();
  if (text === '') return params;
  for (const item of text.split(/ +/)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:=([^=\s]+))?$/u.exec(item);
    if (!m) return 'Bad ESMTP parameter syntax';
    const key = m[1]!.toUpperCase();
    if (params.has(key)) return `Parameter ${key.slice(0, 32)} given twice`;
    params.set(key, m[2] ?? true);
  }
  return params;
}

/** Parses `local@domain`; returns an error message on failure. */
export function parseMailbox(text: string): Mailbox | string {
  let localPart: string;
  let at: number;
  if (text.startsWith('"')) {
    let i = 1;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (text[i] === '\\') {
        const n = text.charCodeAt(i + 1);
        if (!(n >= 32 && n <= 126)) return 'Bad quoted-pair in local part';
        i++;
      } else if (text[i] === '"') break;
      else if (!(c === 32 || c === 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || c >= 0x80)) {
        return 'Bad character in quoted local part';
      }
    }
    if (i >= text.length) return 'Unterminated quoted local part';
    localPart = text.slice(0, i + 1);
    at = i + 1;
    if (text[at] !== '@') return 'Address must be local@domain';
  } else {
    at = text.lastIndexOf('@');
    if (at <= 0) return 'Address must be local@domain';
    localPart = text.slice(0, at);
    for (const atom of localPart.split('.')) {
      if (!ATEXT.test(atom)) return 'Bad local part';
    }
  }
  if (Buffer.byteLength(localPart) > MAX_LOCAL) return 'Local part longer than 64 octets';
  const domain = text.slice(at + 1);
  if (domain === '') return 'Missing domain';
  if (Buffer.byteLength(domain) > MAX_DOMAIN) return 'Domain too long';
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return 'Bad address literal';
    const lit = domain.slice(1, -1);
    if (!(IPV4.test(lit) || (/^IPv6:/i.test(lit) && isIpv6(lit.slice(5))))) return 'Bad address literal';
  } else {
    for (const label of domain.split('.')) {
      if (label.length > 63 || !LABEL.test(label)) return 'Bad domain';
    }
  }
  // eslint-disable-next-line no-control-regex
  const utf8 = /[^\x00-\x7f]/.test(text);
  return { address: `${localPart}@${domain}`, localPart, domain, utf8 };
}

function isIpv6(s: string): boolean {
  return /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && s.length <= 45;
}

/** The local part with quoting removed, for user lookup ("a b"@x -> a b). */
export function unquoteLocalPart(localPart: string): string {
  if (!localPart.startsWith('"')) return localPart;
  return localPart.slice(1, -1).replace(/\\(.)/g, '$1');
}
