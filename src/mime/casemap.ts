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
// every code point of the cased scripts; characters newer than the C library's Unicode data differ). It differs from RFC 5051's titlecase mapping only in which member of a
// case class represents it (U+01C4 "Ǆ" rather than U+01C5 "ǅ"), so the same strings match.

const ASCII = /^[\x00-\x7f]*$/;
/**
 * Stands in for "ß" while the rest is uppercased: U+2126 OHM SIGN cannot occur after NFKD (it
 * decomposes to U+03A9) and uppercases to itself.
 */
const SHARP_S_STAND_IN = '\u2126';

/**
 * `s` in i;unicode-casemap form: what SEARCH compares and what SORT orders by. After NFKD the one
 * character whose full uppercase mapping (what toUpperCase applies) is not its simple one is "ß"
 * ("SS" against itself; checked over every code point when this was written), so it is kept out of
 * the uppercasing and everything else takes the engine's fast path. ASCII needs no decomposition.
 * Other text is normalised whole: ASCII characters decompose to themselves and are starters, so
 * NFKD of the whole equals NFKD of its non-ASCII runs, and one call costs the same as per-run
 * calls on mostly-ASCII text and a quarter of them when non-ASCII words are frequent.
 */
export function unicodeCasemap(s: string): string {
  if (ASCII.test(s)) return s.toUpperCase();
  const d = s.normalize('NFKD');
  if (!d.includes('\u00df')) return d.toUpperCase();
  return d.replaceAll('\u00df', SHARP_S_STAND_IN).toUpperCase().replaceAll(SHARP_S_STAND_IN, '\u00df');
}
