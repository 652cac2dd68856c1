// RFC 5228 §2.4.2.4 encoded-character: "${hex:41 42}" and "${unicode:263A}" in strings of a script
// that requires "encoded-character". A malformed sequence stays as written (the RFC says so); a code
// point outside Unicode's scalar values is an error.

const SEQUENCE = /\$\{(hex|unicode):([^}]*)\}/gi;
const HEX_PAIRS = /^[ \t\r\n]*[0-9a-f]{2}(?:[ \t\r\n]+[0-9a-f]{2})*[ \t\r\n]*$/i;
const CODE_POINTS = /^[ \t\r\n]*[0-9a-f]{1,6}(?:[ \t\r\n]+[0-9a-f]{1,6})*[ \t\r\n]*$/i;

const utf8 = new TextDecoder('utf-8');

export class EncodedCharacterError extends Error {}

export function decodeEncodedCharacters(text: string): string {
  if (!text.includes('${')) return text;
  return text.replace(SEQUENCE, (whole, kind: string, body: string) => {
    const items = body.trim().split(/[ \t\r\n]+/);
    if (kind.toLowerCase() === 'hex') {
      if (!HEX_PAIRS.test(body)) return whole;
      return utf8.decode(Uint8Array.from(items.map((h) => parseInt(h, 16))));
    }
    if (!CODE_POINTS.test(body)) return whole;
    return items
      .map((h) => {
        const cp = parseInt(h, 16);
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
          throw new EncodedCharacterError(`\${unicode:${h}} is not a Unicode scalar value`);
        }
        return String.fromCodePoint(cp);
      })
      .join('');
  });
}
