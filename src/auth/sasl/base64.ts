// Strict base64 (RFC 4648 §4) for SASL: the alphabet only, padded to a multiple of 4, no whitespace,
// and canonical (unused bits zero). Node's decoder silently skips garbage, which would let two
// different wire strings mean the same credentials.
import { MAX_SASL_BASE64_CHARS } from './limits.js';

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; reason: 'too-large' | 'invalid' };

export function decodeStrictBase64(text: string, maxChars = MAX_SASL_BASE64_CHARS): Base64Result {
  if (text.length > maxChars) return { ok: false, reason: 'too-large' };
  // The round trip is the whole check: Node's decoder skips what is not base64 (and takes base64url's
  // - and _), but the canonical encoding of what it decoded is then never the text it was given; the
  // same holds for missing or misplaced padding and non-zero unused bits. (A regular expression run
  // first cost more than both conversions for a token-sized response.)
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return { ok: false, reason: 'invalid' };
  return { ok: true, bytes };
}

export function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
