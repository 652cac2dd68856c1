// Content-Transfer-Encoding and charset decoding, lenient: bad input yields best-effort text, never
// an exception (a malformed message must still be stored and searchable).
import { Libmime } from 'libmime';

const libmime = new Libmime();

export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const s = body.toString('latin1').replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 && i + 2 < s.length && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out[n++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[n++] = c & 0xff;
    }
  }
  return out.subarray(0, n);
}

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** RFC 2047 encoded words → text; undecodable words are left as written. */
export function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export interface ParsedHeaderValue {
  value: string;
  params: Record<string, string>;
}

/** `type/sub; a=b; c*0=…` with RFC 2231 continuations and charsets decoded; names lowercased. */
export function parseStructuredValue(raw: string): ParsedHeaderValue {
  try {
    const parsed = libmime.parseHeaderValue(raw) as { value: string; params: Record<string, string> };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.params ?? {})) {
      params[k.toLowerCase()] = decodeWords(String(v));
    }
    return { value: String(parsed.value ?? '').trim(), params };
  } catch {
    return { value: raw.split(';')[0]!.trim(), params: {} };
  }
}

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#(\d+);/g, (_, d: string) => safeCodePoint(Number(d)))
    .replace(/&amp;/gi, '&');
}

function safeCodePoint(n: number): string {
  return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : ' ';
}
