// compileSieve: the RFC 5228 grammar, line/column errors, the validator's checks, encoded-character
// (RFC 5228 §2.4.2.4), and scripts built to hurt the parser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileSieve, SIEVE_EXTENSIONS, type SieveError } from '../../src/sieve/index.js';
import { MAX_NESTING } from '../../src/sieve/parser.js';
import type { Node } from '../../src/sieve/compiled.js';

function ok(text: string): Node[] {
  const r = compileSieve(text);
  if (!r.ok) assert.fail(`expected the script to compile: ${JSON.stringify(r.errors)}`);
  return r.script.commands;
}

function errors(text: string, options?: { maxSize?: number }): SieveError[] {
  const r = compileSieve(text, options);
  if (r.ok) assert.fail('expected the script to be refused');
  return r.errors;
}

describe('sieve parser', () => {
  it('compiles the RFC 5228 §9 example script', () => {
    const commands = ok(`#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
`);
    assert.equal(commands.length, 1);
    assert.equal(commands[0]!.name, 'if');
    assert.equal(commands[0]!.branches!.length, 4);
    assert.equal(commands[0]!.branches![3]!.test, null);
    assert.equal(commands[0]!.branches![1]!.test!.tags.has('domain'), true);
  });

  it('reads multi-line strings with dot-stuffing, comments and both line endings', () => {
    const commands = ok('require "vacation";\r\nvacation text: # a comment\r\nline one\r\n..dot\r\n.\r\n;\nkeep;');
    assert.deepEqual(commands[0]!.args[0], { kind: 'strings', values: ['line one\r\n.dot\r\n'] });
    const lf = ok('require "vacation";\nvacation text:\nabc\n.\n;');
    assert.deepEqual(lf[0]!.args[0], { kind: 'strings', values: ['abc\r\n'] });
  });

  it('undoes quoted-string escapes and reads number quantifiers', () => {
    const commands = ok('if header :contains "x" "a\\"b\\\\c\\d" { keep; } if size :over 2K { discard; } if size :under 1M { stop; }');
    assert.deepEqual(commands[0]!.branches![0]!.test!.args[1], { kind: 'strings', values: ['a"b\\cd'] });
    assert.deepEqual(commands[1]!.branches![0]!.test!.args[0], { kind: 'number', value: 2048 });
    assert.deepEqual(commands[2]!.branches![0]!.test!.args[0], { kind: 'number', value: 1024 * 1024 });
  });

  it('skips bracket comments spanning lines and keeps line numbers right', () => {
    const errs = errors('/* a\n comment\n */ keep;\n  frobnicate;');
    assert.deepEqual(errs[0], { line: 4, column: 3, message: 'unknown command "frobnicate"' });
  });

  it('reports syntax errors with line and column', () => {
    assert.deepEqual(errors('keep;\nif true { keep; '), [{ line: 2, column: 17, message: 'expected "}" or a command, found end of script' }]);
    assert.deepEqual(errors('keep'), [{ line: 1, column: 5, message: 'expected ";" or "{" after command "keep", found end of script' }]);
    assert.equal(errors('if header :is "a" ["b", ] { keep; }')[0]!.column, 25);
    assert.match(errors('vacation "x')[0]!.message, /unterminated string/);
    assert.match(errors('require "vacation"; vacation text:\nno end')[0]!.message, /unterminated multi-line/);
    assert.match(errors('/* open')[0]!.message, /unterminated \/\* comment/);
    assert.match(errors('keep; @')[0]!.message, /unexpected character/);
    assert.match(errors('if size :over 99999999999999999999 { keep; }')[0]!.message, /number too large/);
  });

  it('validates require, unknown commands and tests, tags and arguments', () => {
    assert.match(errors('fileinto "x";')[0]!.message, /needs require "fileinto"/);
    assert.match(errors('require "nosuch";')[0]!.message, /unsupported extension "nosuch"/);
    assert.match(errors('keep; require "fileinto";')[0]!.message, /require must come before/);
    assert.match(errors('if frob { keep; }')[0]!.message, /unknown test "frob"/);
    assert.match(errors('redirect;')[0]!.message, /takes 1 positional argument/);
    assert.match(errors('redirect ["a@b", "c@d"];')[0]!.message, /must be a string/);
    assert.match(errors('if header :is :contains "a" "b" { keep; }')[0]!.message, /cannot be combined/);
    assert.match(errors('if header :frob "a" "b" { keep; }')[0]!.message, /no tag ":frob"/);
    assert.match(errors('if header :comparator "i;nope" "a" "b" { keep; }')[0]!.message, /unknown comparator/);
    assert.match(errors('if header :comparator "i;ascii-numeric" "a" "b" { keep; }')[0]!.message, /needs require "comparator-i;ascii-numeric"/);
    assert.match(errors('require "relational"; if header :value "bigger" "a" "b" { keep; }')[0]!.message, /gt, ge, lt/);
    assert.match(errors('require "comparator-i;ascii-numeric"; if header :contains :comparator "i;ascii-numeric" "a" "1" { keep; }')[0]!.message, /cannot be used with the i;ascii-numeric/);
    assert.match(errors('if size 10 { keep; }')[0]!.message, /needs one of :over, :under/);
    assert.match(errors('elsif true { keep; }')[0]!.message, /must follow if/);
    assert.match(errors('if true { keep; } else { keep; } else { keep; }')[0]!.message, /must follow if/);
    assert.match(errors('if true keep;')[0]!.message, /true takes no test/);
    assert.match(errors('keep { }')[0]!.message, /takes no block/);
    assert.match(errors('if address "X-Foo" "a" { keep; }')[0]!.message, /not an address header/);
    assert.match(errors('require "envelope"; if envelope "cc" "a" { keep; }')[0]!.message, /unknown envelope part/);
    assert.match(errors('require "date"; if currentdate "century" "1" { keep; }')[0]!.message, /unknown date part/);
    assert.match(errors('require "variables"; set "1x" "a";')[0]!.message, /bad variable name/);
    assert.match(errors('redirect "not an address";')[0]!.message, /not an address/);
    assert.match(errors('if allof true { keep; }')[0]!.message, /parenthesised test list/);
  });

  it('decodes encoded-character only when required (RFC 5228 §2.4.2.4)', () => {
    const decoded = ok('require "encoded-character"; if header :contains "Subject" "${hex:40}${unicode:263a} ${hex: 20 41 }${hex:zz}" { keep; }');
    assert.deepEqual(decoded[0]!.branches![0]!.test!.args[1], { kind: 'strings', values: ['@\u263a  A${hex:zz}'] });
    const literal = ok('if header :contains "Subject" "${hex:40}" { keep; }');
    assert.deepEqual(literal[0]!.branches![0]!.test!.args[1], { kind: 'strings', values: ['${hex:40}'] });
    assert.match(errors('require "encoded-character"; if header :contains "s" "${unicode:D800}" { keep; }')[0]!.message, /not a Unicode scalar/);
  });

  it('refuses hostile scripts quickly: deep nesting, huge size, regex bombs', () => {
    const deep = 'if true {'.repeat(MAX_NESTING + 5) + '}'.repeat(MAX_NESTING + 5);
    assert.match(errors(deep)[0]!.message, /nested deeper/);
    const deepTests = 'if ' + 'not '.repeat(10000) + 'true { keep; }';
    assert.match(errors(deepTests)[0]!.message, /nested deeper/);
    const deepLists = 'if ' + 'anyof('.repeat(10000) + 'true' + ')'.repeat(10000) + ' { keep; }';
    assert.match(errors(deepLists)[0]!.message, /nested deeper/);
    assert.match(errors('keep;'.repeat(100), { maxSize: 100 })[0]!.message, /larger than 100 bytes/);
    assert.match(errors('require "regex"; if header :regex "s" "(a)\\\\1" { keep; }')[0]!.message, /backreferences/);
    assert.match(errors('require "regex"; if header :regex "s" "((a{200}){200}){200}" { keep; }')[0]!.message, /too complex/);
    assert.match(errors('require "regex"; if header :regex "s" "(?=a)" { keep; }')[0]!.message, /not supported/);
    // Many errors are reported, but not unboundedly many.
    assert.equal(errors('frob;'.repeat(5000)).length, 20);
  });

  it('advertises every extension it accepts', () => {
    for (const ext of SIEVE_EXTENSIONS) ok(`require "${ext}";`);
    assert.ok(SIEVE_EXTENSIONS.includes('fileinto'));
    assert.ok(Object.isFrozen(SIEVE_EXTENSIONS));
  });
});
