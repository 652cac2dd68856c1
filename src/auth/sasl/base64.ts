// Strict base64 (RFC 4648 §4) for SASL: the alphabet only, padded to a multiple of 4, no whitespace,
// and canonical (unused bits zero). Node's decoder silently skips garbage, which would let two
// different wire strings mean the same credentials.
import { MAX_SASL_BASE64_CHARS } from './limits.js';

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; reason: 'too-large' | 'invalid' };

export function decodeStrictBase64(text: string, maxChars = MAX_SASL_BASE64_CHARS): Base64Result {
  if (text.length > maxChars) return { ok: false, reason: 'too-large' };
  const bytes = Buffer.from(text, 'base64');
  // Node's encoder writes only canonical, padded, standard-alphabet base64: a text that comes back
  // unchanged is exactly that, and one with garbage, whitespace, base64url letters, missing padding or
  // unused bits set does not (a separate regular-expression pass over each token cost twice the round trip).
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
