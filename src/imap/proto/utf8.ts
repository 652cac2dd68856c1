// Strict UTF-8 decoding of client bytes. Buffer#toString('utf8') replaces malformed input with
// U+FFFD, which would make the server act on (and store) a name the client never sent.
import { ImapSyntaxError } from './errors.js';

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, refusing (BAD) malformed sequences, overlongs and encoded surrogates. */
export function strictUtf8(bytes: Uint8Array, what: string): string {
  try {
    return FATAL_UTF8.decode(bytes);
  } catch {
    throw new ImapSyntaxError(`Invalid UTF-8 in ${what}`);
  }
}
