// maxBodyValueBytes (RFC 8621 §4.2): body values are cut in UTF-8 octets, never inside a character,
// and an HTML value is not cut inside a tag.

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

/**
 * truncateUtf8, then for HTML (RFC 8621 §4.2: "SHOULD NOT truncate inside an HTML tag") drops a tag
 * left open at the cut, e.g. `<a href="https://exa`: the value ends before its `<`.
 */
export function truncateBodyValue(s: string, maxBytes: number, html: boolean): { value: string; truncated: boolean } {
  const cut = truncateUtf8(s, maxBytes);
  if (!cut.truncated || !html) return cut;
  const open = cut.value.lastIndexOf('<');
  return open > cut.value.lastIndexOf('>') ? { value: cut.value.slice(0, open), truncated: true } : cut;
}
