// The full-text worker's confirmation of candidates gives the answer of a scan (a substring of the
// i;unicode-casemap form), including where its ASCII shortcut does not apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldedSubstringTest } from '../../src/store/sqlite/fts-confirm.js';
import { unicodeCasemap } from '../../src/mime/casemap.js';

const TEXTS = [
  'Meet at the Café tomorrow',
  'the ﬁle is attached',
  'Straße and STRASSE',
  'temperature 5 \u212a (kelvin sign)',
  'long \u017fs and dotless \u0131 and \u0130stanbul',
  'price: a.c (x+y) [z] {w} ^$ | back\\slash / dash-ed',
  'ABC abc',
  '',
];
const NEEDLES = ['cafe', 'café', 'file', 'fi', 'straße', 'strasse', 'ss', '5 k', 'kelvin', 'ſs', 'ss and', 'istanbul', 'i̇stanbul', 'a.c', 'axc', '(x+y)', '[z] {w}', '^$ |', 'back\\slash', '/ dash-', 'abc', 'a c'];

test('agrees with folding the whole text, for ASCII and non-ASCII needles and texts', () => {
  for (const raw of NEEDLES) {
    const needle = unicodeCasemap(raw);
    const contains = foldedSubstringTest(needle);
    for (const text of TEXTS) assert.equal(contains(text), unicodeCasemap(text).includes(needle), `${JSON.stringify(raw)} in ${JSON.stringify(text)}`);
  }
});

test('treats regular expression characters in the needle as themselves', () => {
  assert.equal(foldedSubstringTest(unicodeCasemap('a.c'))('ABC'), false);
  assert.equal(foldedSubstringTest(unicodeCasemap('a.c'))('xA.Cx'), true);
  assert.equal(foldedSubstringTest(unicodeCasemap('x+'))('xxx'), false);
});
