// maxBodyValueBytes (RFC 8621 §4.2): body values are cut in UTF-8 octets, never inside a character.

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
