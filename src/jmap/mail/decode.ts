// Content-transfer and charset decoding of one MIME part body, for bodyValues, SearchSnippet and
// part blob downloads. Charsets go through the WHATWG TextDecoder (Node's ICU); an unknown charset
// falls back to UTF-8 and is flagged as an encoding problem, as RFC 8621 §4.1.4 asks.
import { TextDecoder } from 'node:util';

export function decodeQuotedPrintable(input: Buffer): Buffer {
  const s = input.toString('latin1').replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d && i + 2 < s.length + 0 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out[n++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

export interface DecodedText {
  text: string;
  isEncodingProblem: boolean;
}

export function decodeCharset(bytes: Buffer, charset: string | null | undefined): DecodedText {
  const label = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8';
  const name = label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label;
  let decoder: TextDecoder;
  let isEncodingProblem = false;
  try {
    decoder = new TextDecoder(name, { fatal: true });
  } catch {
    decoder = new TextDecoder('utf-8', { fatal: true });
    isEncodingProblem = true;
  }
  try {
    return { text: decoder.decode(bytes), isEncodingProblem };
  } catch {
    return { text: new TextDecoder(decoder.encoding).decode(bytes), isEncodingProblem: true };
  }
}

/** Cuts `s` to at most `maxBytes` UTF-8 octets without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): { value: string; truncated: boolean } {
  if (Buffer.byteLength(s) <= maxBytes) return { value: s, truncated: false };
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const len = Buffer.byteLength(ch);
    if (bytes + len > maxBytes) break;
    bytes += len;
    end += ch.length;
  }
  return { value: s.slice(0, end), truncated: true };
}
