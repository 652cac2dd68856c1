// The terms of the full-text index (fts-worker.ts): each distinct trigram of a text (3 consecutive
// code points, as FTS5's trigram tokenizer cuts them) once, as a word that FTS5's `ascii`
// tokenizer keeps whole. The index holds which trigrams an email has, never where or how often
// (detail=column), so handing FTS5 each distinct trigram once gives the same index as its trigram
// tokenizer over the whole text, for a fraction of the work on long texts: that tokenizer inserts
// every position (a 250 KB body is 250,000 tokens, about 9,000 distinct in real prose), while this
// pass costs a look-up in a bitmap per position. bench/store/fts-index.ts (2-250 KB bodies) measured
// the worker's CPU per email going from 2.3 to 1.8 ms with generated words and from 3.9-4.1 to
// 2.4 ms with Vim's release notes as the text, the index the same size; on 2-4 KB texts alone
// FTS5's own tokenizer is about 10% cheaper (0.36 against 0.40 ms per insert, measured alone), which
// is not worth a second table.
//
// A term is injective in its trigram. A trigram of tab, LF, CR and printable ASCII (98 symbols,
// 98³ < 36⁴) is 4 base-36 digits; any other (control characters, non-ASCII) is 'x' and 6 hex
// digits per code point, 19 characters. Both are ASCII letters and digits only, which the ascii
// tokenizer keeps as one token, lower-case (its case folding changes nothing), and which a MATCH
// expression can quote whatever the needle held (FTS5's parser ends a string at NUL). A lone
// surrogate counts as U+FFFD, which is what SQLite stores for it (better-sqlite3 encodes strings as
// UTF-8), so that a needle holding one finds what the stored text and the confirming test hold.

/** Base-36 symbol of each ASCII code point that has one (tab, LF, CR, 0x20-0x7e), else -1. */
const SYMBOL = new Int16Array(128).fill(-1);
{
  let n = 0;
  for (const c of [0x09, 0x0a, 0x0d]) SYMBOL[c] = n++;
  for (let c = 0x20; c < 0x7f; c++) SYMBOL[c] = n++;
}
const SYMBOLS = 98;

/** Every two-digit base-36 string, by value. */
const DIGIT_PAIRS = Array.from({ length: 36 * 36 }, (_, i) => i.toString(36).padStart(2, '0'));

/** Which short-form trigrams the current text has shown (cleared after each text). */
const seen = new Uint8Array(Math.ceil(SYMBOLS ** 3 / 8));

function symbolOf(codePoint: number): number {
  return codePoint < 128 ? SYMBOL[codePoint]! : -1;
}

function shortTerm(key: number): string {
  return DIGIT_PAIRS[(key / 1296) | 0]! + DIGIT_PAIRS[key % 1296]!;
}

function longTerm(a: number, b: number, c: number): string {
  return `x${a.toString(16).padStart(6, '0')}${b.toString(16).padStart(6, '0')}${c.toString(16).padStart(6, '0')}`;
}

/** A code point as stored: a lone surrogate becomes U+FFFD. */
function stored(codePoint: number): number {
  return codePoint >= 0xd800 && codePoint <= 0xdfff ? 0xfffd : codePoint;
}

/** The index term of one trigram (3 code points, as `[...text]` splits them). */
export function trigramTerm(trigram: string): string {
  const points = Array.from(trigram, (ch) => stored(ch.codePointAt(0)!));
  if (points.length !== 3) throw new RangeError(`a trigram has 3 code points, not ${points.length}`);
  const [a, b, c] = points as [number, number, number];
  const [sa, sb, sc] = [symbolOf(a), symbolOf(b), symbolOf(c)];
  return (sa | sb | sc) >= 0 ? shortTerm((sa * SYMBOLS + sb) * SYMBOLS + sc) : longTerm(a, b, c);
}

/** The terms of every distinct trigram of `text`, separated by spaces ('' for under 3 code points). */
export function trigramTerms(text: string): string {
  const terms: string[] = [];
  const touched: number[] = [];
  let long: Set<string> | null = null;
  let a = -1;
  let b = -1;
  for (let i = 0; i < text.length; i++) {
    // Code points as `[...text]` gives them: a pair of surrogates is one, a lone surrogate U+FFFD.
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = c <= 0xdbff && i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (a >= 0) {
      const sa = symbolOf(a);
      const sb = symbolOf(b);
      const sc = symbolOf(c);
      if ((sa | sb | sc) >= 0) {
        const key = (sa * SYMBOLS + sb) * SYMBOLS + sc;
        const byte = key >>> 3;
        const bit = 1 << (key & 7);
        if (!(seen[byte]! & bit)) {
          if (!seen[byte]) touched.push(byte);
          seen[byte]! |= bit;
          terms.push(shortTerm(key));
        }
      } else {
        (long ??= new Set()).add(longTerm(a, b, c));
      }
    }
    a = b;
    b = c;
  }
  for (const byte of touched) seen[byte] = 0;
  if (long) for (const term of long) terms.push(term);
  return terms.join(' ');
}
