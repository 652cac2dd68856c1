// The i;unicode-casemap comparator's folding (RFC 5051 §2, the default of IMAP I18NLEVEL=1, RFC 5255
// §4): compatibility decomposition (NFKD) and every character to its simple (one character)
// case-mapped form. Two strings match case-insensitively when their folded forms are equal, and a
// substring search matches when the folded needle occurs in the folded text. Decomposing first, as
// Dovecot does, also folds what decomposition yields: the ligature "ﬁ" matches "FI" (RFC 5051's
// order, case mapping first, would leave it "fi" and match neither "FI" nor "Fi").
//
// The case mapping is Unicode's simple uppercase mapping, which is what the C library's towupper()
// applies and so what PostgreSQL's upper() does under a libc UTF-8 collation: the PostgreSQL engine
// folds with `upper(normalize(x, NFKD) COLLATE "C.utf8")` and gets the same strings (a test checks
// every cased code point). It differs from RFC 5051's titlecase mapping only in which member of a
// case class represents it (U+01C4 "Ǆ" rather than U+01C5 "ǅ"), so the same strings match.

/** Characters whose simple uppercase mapping is another character (code points up to U+1FFFF hold every cased letter). */
let table: Map<string, string> | undefined;

function simpleUpperTable(): Map<string, string> {
  if (table) return table;
  const lowerOf = new Map<string, string>();
  const chars: string[] = [];
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    chars.push(ch);
    const l = ch.toLowerCase();
    // The one character whose lowercase is `l`: a letter's simple uppercase when its full
    // uppercase takes several characters (U+1F80 "ᾀ" → U+1F88 "ᾈ", not "ἈΙ").
    if (l !== ch && [...l].length === 1 && !lowerOf.has(l)) lowerOf.set(l, ch);
  }
  table = new Map();
  for (const ch of chars) {
    const u = ch.toUpperCase();
    if ([...u].length === 1) {
      if (u !== ch) table.set(ch, u);
      continue;
    }
    // U+00DF "ß" has no simple uppercase mapping (U+1E9E "ẞ" lowercases to it, not the reverse).
    const simple = ch === '\u00df' ? undefined : lowerOf.get(ch);
    if (simple) table.set(ch, simple);
  }
  return table;
}

const ASCII = /^[\x00-\x7f]*$/;

/** `s` in i;unicode-casemap form: what SEARCH compares and what SORT orders by. */
export function unicodeCasemap(s: string): string {
  if (ASCII.test(s)) return s.toUpperCase();
  const map = simpleUpperTable();
  let out = '';
  for (const ch of s.normalize('NFKD')) out += map.get(ch) ?? ch;
  return out;
}
