// i;unicode-casemap folding (RFC 5051 §2, IMAP I18NLEVEL=1): the JavaScript form the SQLite engine
// and IMAP SORT use, and the PostgreSQL casemap() function of migration 6, which must give the
// same strings or the two engines would answer the same SEARCH differently.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { unicodeCasemap } from '../../src/mime/casemap.js';
import { createTestDatabase, dropTemplate, postgresUnavailable } from '../support/postgres.js';

test('RFC 5051 §2: case variants and compatibility forms fold to one string; distinct letters stay distinct', () => {
  const same = (a: string, b: string) => assert.equal(unicodeCasemap(a), unicodeCasemap(b), `${a} ~ ${b}`);
  const differ = (a: string, b: string) => assert.notEqual(unicodeCasemap(a), unicodeCasemap(b), `${a} !~ ${b}`);
  same('ärger', 'ÄRGER');
  same('ǅ', 'Ǆ');
  same('ǆ', 'ǅ');
  same('ᾀ', 'ᾈ');
  same('σ', 'ς');
  same('ＴＥＳＳＥＲＡ', 'tessera');
  same('ﬁ', 'FI');
  same('A\u0308', 'ä'); // decomposed and precomposed
  differ('ß', 'ss');
  differ('ό', 'ο');
  differ('e', 'é');
  same('i', 'ı'); // both titlecase to I (RFC 5051 folds them together)
  assert.equal(unicodeCasemap('Plain ASCII 123'), 'PLAIN ASCII 123');
  // Folding is idempotent: a folded needle folds to itself.
  for (const s of ['Viel ÄRGER', 'ǅemal', 'ﬁnal', 'ᾳ', 'ΟΔΟΣ οδός']) assert.equal(unicodeCasemap(unicodeCasemap(s)), unicodeCasemap(s));
});

/** Scripts with case (and compatibility forms) whose Unicode data is the same in Node's ICU and the C library. */
const RANGES: Array<[number, number]> = [
  [0x20, 0x18f],
  [0x1c4, 0x24f],
  [0x370, 0x52f],
  [0x531, 0x587],
  [0x10a0, 0x10ff],
  [0x1e00, 0x1fff],
  [0x2c00, 0x2c5f],
  [0xfb00, 0xfb06],
  [0xff01, 0xff5e],
  [0x10400, 0x1044f],
];

const unavailable = await postgresUnavailable();
after(dropTemplate);

test('PostgreSQL casemap() folds every character of the cased scripts as the JavaScript folding does', { skip: unavailable ?? false }, async () => {
  const db = await createTestDatabase();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const chars: string[] = [];
    for (const [from, to] of RANGES) for (let cp = from; cp <= to; cp++) chars.push(String.fromCodePoint(cp));
    // Whole strings too: mixed scripts, decomposed input, a folded needle.
    chars.push('Viel ÄRGER im Büro', 'ǅemal ǆemal', 'A\u0308rger', 'ＴＥＳＳＥＲＡ ﬁnal', 'ΟΔΟΣ οδός ᾳ');
    const r = await c.query<{ f: string }>('SELECT casemap(x) AS f FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i', [chars]);
    const differing = chars.filter((ch, i) => unicodeCasemap(ch) !== r.rows[i]!.f);
    assert.deepEqual(differing.map((ch) => `U+${ch.codePointAt(0)!.toString(16)} ${ch}`), []);
  } finally {
    await c.end();
    await db.drop();
  }
});
