// The :regex engine (src/sieve/regex.ts): POSIX ERE syntax on a Pike VM. Agreement with JavaScript's
// RegExp on patterns both understand, captures, bounds, and what is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegex, compileRegex, execRegex, MAX_PROGRAM } from '../../src/sieve/regex.js';

const match = (p: string, s: string, ci = false): string[] | null => execRegex(compileRegex(p, ci), s);

describe('sieve regex engine', () => {
  it('agrees with RegExp on match/no-match for common patterns', () => {
    const patterns = ['^abc', 'abc$', 'a.c', 'a*b', 'a+b', 'ab?c', '(ab|cd)+e', '[a-c]+', '[^a-c]+', 'x{2,3}', 'x{2}', 'x{2,}', '^$', '(a|b)*c', 'colou?r', '^[0-9]+\\.[0-9]+$'];
    const subjects = ['abc', 'xabc', 'abcx', 'ac', 'aaab', 'b', 'abcde', 'cdabe', 'xx', 'xxx', 'x', '', 'color', 'colour', '1.25', '1.', 'ddd'];
    for (const p of patterns) {
      const js = new RegExp(p);
      for (const s of subjects) assert.equal(match(p, s) !== null, js.test(s), `${p} on ${JSON.stringify(s)}`);
    }
  });

  it('captures groups leftmost-first, and ${0} is the whole match', () => {
    assert.deepEqual(match('([a-z]+)@([a-z.]+)', 'mail: joe@example.org!'), ['joe@example.org', 'joe', 'example.org']);
    assert.deepEqual(match('(a)|(b)', 'b'), ['b', '', 'b']);
    assert.deepEqual(match('(?:x)(y)', 'xy'), ['xy', 'y']);
  });

  it('folds ASCII case for i;ascii-casemap, classes included', () => {
    assert.ok(match('HELLO [a-z]+', 'hello World', true));
    assert.equal(match('HELLO', 'hello', false), null);
    assert.ok(match('[[:upper:]]{3}', 'abc', true));
  });

  it('handles POSIX classes, escapes and non-BMP characters', () => {
    assert.ok(match('^[[:digit:]]+[[:space:]][[:alpha:]]+$', '42 apples'));
    assert.ok(match('\\d+\\s\\w+', '42 apples'));
    assert.ok(match('a\\.b', 'a.b'));
    assert.equal(match('a\\.b', 'axb'), null);
    assert.deepEqual(match('(.)$', 'x😀'), ['😀', '😀']);
  });

  it('refuses what an NFA cannot do or a script should not ask', () => {
    assert.match(checkRegex('(a)\\1')!, /backreferences/);
    assert.match(checkRegex('(?=a)')!, /not supported/);
    assert.match(checkRegex('a{300}')!, /above 255/);
    assert.match(checkRegex('(a{100}){100}')!, new RegExp(`more than ${MAX_PROGRAM}`));
    assert.match(checkRegex('(a')!, /missing "\)"/);
    assert.match(checkRegex('a)')!, /unmatched/);
    assert.match(checkRegex('*a')!, /nothing to repeat/);
    assert.match(checkRegex('[z-a]')!, /out of order/);
    assert.match(checkRegex('[[:nope:]]')!, /unknown character class/);
    assert.equal(checkRegex('x{2,3}'), null);
  });
});
