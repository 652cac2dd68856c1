// The full-text index's terms (src/store/sqlite/fts-trigram-terms.ts) stand for FTS5's trigram
// tokenizer: the same trigrams, each once, each one term of the ascii tokenizer. Checked against a
// plain reference and against FTS5 itself, over texts that mix ASCII, control characters,
// non-ASCII, astral characters and lone surrogates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { trigramTerm, trigramTerms } from '../../src/store/sqlite/fts-trigram-terms.js';
import { candidateExpr, trigramsOf } from '../../src/store/sqlite/fts-trigram-query.js';
import { mulberry32 } from '../support/prng.js';

/** Characters a random text is drawn from: mostly ASCII words, and everything that takes the long form. */
const ALPHABET = [
  ...'ETAOINSHRDLU ETAOIN ',
  ...'0123456789',
  ...'.,;:!?"\'()[]{}<>@#$%^&*-_=+/\\|~`',
  '\t', '\n', '\r', '\x00', '\x01', '\x1b', '\x7f',
  'É', 'Ü', 'ß', 'Ø', 'Ж', 'Ω', '日', '本', '語', '\u00a0', '\ufeff',
  '😀', '𝄞', '\ud800', '\udfff', // astral characters (surrogate pairs) and lone surrogates
];

function randomText(next: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return out;
}

/** The reference: every distinct trigram of `text` by code points, as a term. */
function referenceTerms(text: string): Set<string> {
  return new Set(trigramsOf(text).map(trigramTerm));
}

describe('full-text index terms', () => {
  it('are the distinct trigrams of a text, each once, in any mix of characters', () => {
    const next = mulberry32(7);
    for (let i = 0; i < 400; i++) {
      const text = randomText(next, Math.floor(next() * 300));
      const terms = trigramTerms(text);
      const list = terms === '' ? [] : terms.split(' ');
      assert.equal(new Set(list).size, list.length, `no term twice (case ${i})`);
      assert.deepEqual(new Set(list), referenceTerms(text), `case ${i}: ${JSON.stringify(text)}`);
    }
    // A lone surrogate is U+FFFD, as SQLite stores it.
    assert.equal(trigramTerms('a\ud800b'), trigramTerm('a\ufffdb'));
    assert.equal(trigramTerm('\udfffab'), trigramTerm('\ufffdab'));
    assert.equal(trigramTerms('ab'), '');
    assert.equal(trigramTerms('😀😀'), '', 'two code points, four UTF-16 units');
    assert.equal(trigramTerms('aaaa'), trigramTerm('aaa'));
  });

  it('name every trigram apart, and each is one token of the ascii tokenizer', () => {
    const next = mulberry32(11);
    const byTerm = new Map<string, string>();
    for (let i = 0; i < 20000; i++) {
      const trigram = [0, 1, 2].map(() => ALPHABET[Math.floor(next() * ALPHABET.length)]!).join('');
      // A lone high and a lone low surrogate drawn in a row make one astral character.
      if ([...trigram].length !== 3) continue;
      const term = trigramTerm(trigram);
      assert.match(term, /^([0-9a-z]{4}|x[0-9a-f]{18})$/);
      // As stored (UTF-8, where a lone surrogate is U+FFFD), distinct trigrams have distinct terms.
      const stored = Buffer.from(trigram, 'utf8').toString('utf8');
      const earlier = byTerm.get(term);
      assert.ok(earlier === undefined || earlier === stored, `${JSON.stringify(earlier)} and ${JSON.stringify(stored)} share ${term}`);
      byTerm.set(term, stored);
    }
    // Every short form (98³ trigrams of tab, LF, CR and printable ASCII) differs from every other.
    const printable = ['\t', '\n', '\r', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i))];
    const shortTerms = new Set<string>();
    for (const a of printable) for (const b of printable) for (const c of printable) shortTerms.add(trigramTerm(a + b + c));
    assert.equal(shortTerms.size, 98 ** 3);
    assert.throws(() => trigramTerm('ab'), RangeError);
  });

  it('find in FTS5 exactly the rows that its trigram tokenizer finds, for any needle', () => {
    const db = new Database(':memory:');
    db.exec(`
CREATE VIRTUAL TABLE by_tokenizer USING fts5(subject, body, content='', tokenize='trigram case_sensitive 1', detail=column);
CREATE VIRTUAL TABLE by_terms USING fts5(subject, body, content='', tokenize='ascii', detail=column);`);
    const next = mulberry32(23);
    const texts: Array<[string, string]> = [];
    for (let id = 1; id <= 60; id++) {
      // Small alphabets' worth of repetition, so that needles taken from one text occur in others.
      const row: [string, string] = [randomText(next, 20), randomText(next, 50 + Math.floor(next() * 400))];
      texts.push(row);
      db.prepare('INSERT INTO by_tokenizer (rowid, subject, body) VALUES (?, ?, ?)').run(id, ...row);
      db.prepare('INSERT INTO by_terms (rowid, subject, body) VALUES (?, ?, ?)').run(id, ...row.map(trigramTerms));
    }
    const tokenizerQuery = db.prepare('SELECT rowid FROM by_tokenizer WHERE by_tokenizer MATCH ? ORDER BY rowid').pluck();
    const termsQuery = db.prepare('SELECT rowid FROM by_terms WHERE by_terms MATCH ? ORDER BY rowid').pluck();
    let nonEmpty = 0;
    for (let i = 0; i < 300; i++) {
      // A needle cut from a stored text (it has matches), or a random one (usually none).
      const [subject, body] = texts[Math.floor(next() * texts.length)]!;
      const source = next() < 0.7 ? [...body] : [...randomText(next, 12)];
      const start = Math.floor(next() * Math.max(1, source.length - 8));
      const needle = source.slice(start, start + 3 + Math.floor(next() * 6)).join('');
      if ([...needle].length < 3) continue;
      const columns = next() < 0.5 ? (['body'] as const) : (['subject', 'body'] as const);
      // FTS5's query parser ends a string at NUL ("unterminated string"): the trigram tokenizer
      // cannot be asked for such a needle, while a term never holds one.
      if (needle.includes('\x00')) {
        assert.ok(Array.isArray(termsQuery.all(candidateExpr(columns, needle))));
        continue;
      }
      const tokenizerExpr = `{${columns.join(' ')}} : (${trigramsOf(needle).map((t) => `"${t.replace(/"/g, '""')}"`).join(' AND ')})`;
      const expected = tokenizerQuery.all(tokenizerExpr);
      assert.deepEqual(termsQuery.all(candidateExpr(columns, needle)), expected, `needle ${JSON.stringify(needle)} (subject ${JSON.stringify(subject)})`);
      if (expected.length) nonEmpty++;
    }
    assert.ok(nonEmpty > 100, `${nonEmpty} needles had matches`);
    db.close();
  });
});
