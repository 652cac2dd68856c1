// The ESMTP parameters of the DSN extension (RFC 3461 §4): RET and ENVID on MAIL FROM, NOTIFY and
// ORCPT on RCPT TO, and the xtext encoding (§4) their values travel in. Pure: values in, a decoded
// request or the reply code RFC 3461 asks for out (501 for a malformed value or a repeated parameter).
// Shared by SMTP (MAIL/RCPT) and JMAP EmailSubmission (RFC 8621 §7 envelope parameters).
import type { DsnNotify, RecipientDsn } from './delivery.js';

export type DsnParamResult<T> = { ok: true; value: T } | { ok: false; code: 501; enhanced: string; message: string };

function bad<T>(message: string): DsnParamResult<T> {
  return { ok: false, code: 501, enhanced: '5.5.4', message };
}

/** RFC 3461 §4 xtext: printable ASCII except "+" and "=", and "+XX" (upper-case hex) for any octet. */
export function decodeXtext(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (c >= 0x21 && c <= 0x7e && c !== 0x3d) {
      out += text[i];
    } else {
      return null;
    }
  }
  return out;
}

/** The xtext form of an ASCII string (RFC 3461 §4), for passing parameters on to the next hop. */
export function encodeXtext(text: string): string {
  let out = '';
  for (const ch of Buffer.from(text, 'utf8')) {
    out += ch >= 0x21 && ch <= 0x7e && ch !== 0x2b && ch !== 0x3d ? String.fromCharCode(ch) : `+${ch.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** RFC 3461 §4.3: RET=FULL or RET=HDRS. */
export function parseRet(value: string | true): DsnParamResult<'FULL' | 'HDRS'> {
  if (value === true) return bad('RET needs a value: FULL or HDRS');
  const v = value.toUpperCase();
  return v === 'FULL' || v === 'HDRS' ? { ok: true, value: v } : bad('RET must be FULL or HDRS');
}

/** RFC 3461 §4.4: ENVID, xtext of at most 100 printable ASCII characters once decoded. */
export function parseEnvid(value: string | true): DsnParamResult<string> {
  if (value === true) return bad('ENVID needs a value');
  const decoded = decodeXtext(value);
  if (decoded === null) return bad('ENVID is not valid xtext');
  if (decoded.length === 0 || decoded.length > 100) return bad('ENVID must be 1 to 100 characters');
  if (!/^[\x20-\x7e]+$/.test(decoded)) return bad('ENVID must be printable US-ASCII');
  return { ok: true, value: decoded };
}

const NOTIFY_KEYWORDS: readonly DsnNotify[] = ['SUCCESS', 'FAILURE', 'DELAY'];

/** RFC 3461 §4.1: NOTIFY=NEVER, or a comma-separated set of SUCCESS, FAILURE, DELAY. */
export function parseNotify(value: string | true): DsnParamResult<DsnNotify[]> {
  if (value === true) return bad('NOTIFY needs a value');
  const words = value.toUpperCase().split(',');
  if (words.length === 1 && words[0] === 'NEVER') return { ok: true, value: [] };
  const out: DsnNotify[] = [];
  for (const w of words) {
    if (w === 'NEVER') return bad('NOTIFY=NEVER cannot be combined with other values');
    const k = NOTIFY_KEYWORDS.find((n) => n === w);
    if (!k) return bad('NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY');
    if (out.includes(k)) return bad(`NOTIFY lists ${k} twice`);
    out.push(k);
  }
  return { ok: true, value: out };
}

/**
 * RFC 3461 §4.2: ORCPT=addr-type;xtext. The type is an atom (rfc822, or utf-8 per RFC 6533); the
 * address is kept decoded, at most 500 characters, without control characters (it ends up in a header).
 */
export function parseOrcpt(value: string | true): DsnParamResult<NonNullable<RecipientDsn['orcpt']>> {
  if (value === true) return bad('ORCPT needs a value');
  const semi = value.indexOf(';');
  if (semi <= 0) return bad('ORCPT must be addr-type;address');
  const type = value.slice(0, semi);
  if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,40}$/.test(type)) return bad('ORCPT address type is not an atom');
  const utf8Type = type.toLowerCase() === 'utf-8';
  const address = utf8Type ? decodeUtf8AddrXtext(value.slice(semi + 1)) : decodeXtext(value.slice(semi + 1));
  if (address === null) return bad('ORCPT address is not valid xtext');
  if (address.length === 0 || address.length > 500) return bad('ORCPT address must be 1 to 500 characters');
  // eslint-disable-next-line no-control-regex
  if (utf8Type ? /[\x00-\x1f\x7f]/.test(address) : !/^[\x20-\x7e]+$/.test(address)) return bad('ORCPT address holds characters not allowed');
  return { ok: true, value: { type: type.toLowerCase(), address } };
}

/**
 * RFC 6533 §3 utf-8-addr-xtext / utf-8-addr-unitext: xtext whose "\x{HEX}" escapes name Unicode
 * code points; raw UTF-8 is allowed (it arrives only in SMTPUTF8 sessions: the command line is UTF-8).
 */
function decodeUtf8AddrXtext(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const m = /^\\x\{([0-9A-F]{2,6})\}/.exec(text.slice(i));
      if (!m) return null;
      const cp = parseInt(m[1]!, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
      out += String.fromCodePoint(cp);
      i += m[0].length - 1;
    } else if (ch === '+' || ch === '=') {
      return null;
    } else {
      out += ch;
    }
  }
  return out;
}
