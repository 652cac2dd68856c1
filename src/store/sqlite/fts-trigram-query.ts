// The FTS5 MATCH expression that finds candidates for a substring query in the trigram index.
// The index keeps one entry per (trigram, email, column) and no positions (detail=column: a
// fraction of the work and size of a position per occurrence), so it cannot answer "these
// trigrams, contiguous": an email holding every trigram of the needle somewhere in the named
// columns is a candidate, and the worker confirms each candidate against its folded text (fts_doc).
// Trigrams are named by their index terms (fts-trigram-terms.ts).
import type { FtsColumn } from './fts-protocol.js';
import { trigramTerm } from './fts-trigram-terms.js';

/**
 * The candidate set only has to contain every match, so a long needle is represented by some of
 * its trigrams: more would cost doclist reads while rarely narrowing the candidates further, and
 * an FTS5 expression's depth is limited.
 */
const MAX_TRIGRAMS = 16;

/** Every distinct trigram (3 code points, as the trigram tokenizer cuts them) of `needle`. */
export function trigramsOf(needle: string): string[] {
  const chars = [...needle];
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  return [...out];
}

/** `{columns} : (term AND term …)` over at most MAX_TRIGRAMS trigrams spread along the needle. */
export function candidateExpr(columns: readonly FtsColumn[], needle: string): string {
  const all = trigramsOf(needle);
  if (!all.length) throw new RangeError('a full-text needle needs at least 3 characters');
  const picked =
    all.length <= MAX_TRIGRAMS
      ? all
      : Array.from({ length: MAX_TRIGRAMS }, (_, i) => all[Math.round((i * (all.length - 1)) / (MAX_TRIGRAMS - 1))]!);
  // Terms are letters and digits; quoted all the same, so that none is read as an operator (AND, OR, NOT).
  const terms = picked.map((t) => `"${trigramTerm(t)}"`);
  return `{${columns.join(' ')}} : (${terms.join(' AND ')})`;
}
