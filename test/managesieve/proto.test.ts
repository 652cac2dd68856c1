// The pure ManageSieve grammar (src/managesieve/proto): line scanning with atoms, numbers, quoted
// strings and literal announcements, script-name rules, and how server strings are written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidScriptName, scanLine, utf8, type Token } from '../../src/managesieve/proto/tokens.js';
import { no, ok, okTagged, str } from '../../src/managesieve/proto/response.js';

const scan = (s: string | Buffer): ReturnType<typeof scanLine> => scanLine(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
const texts = (tokens: Token[]): Array<string | number> => tokens.map((t) => (t.kind === 'string' ? t.value.toString('utf8') : t.value));

describe('ManageSieve line scanner', () => {
  it('reads atoms (upper-cased), numbers and quoted strings with their two escapes', () => {
    const r = scan('havespace "my \\"script\\" \\\\ é" 1234');
    assert.ok(r.ok);
    assert.deepEqual(texts(r.tokens), ['HAVESPACE', 'my "script" \\ é', 1234]);
    assert.equal(r.literal, undefined);
  });

  it('announces a literal at the end of the line, {n+} and {n}', () => {
    const r = scan('PUTSCRIPT "a" {12+}');
    assert.ok(r.ok);
    assert.deepEqual(texts(r.tokens), ['PUTSCRIPT', 'a']);
    assert.deepEqual(r.literal, { size: 12, synchronizing: false });
    const sync = scan('{0}');
    assert.ok(sync.ok);
    assert.deepEqual(sync.literal, { size: 0, synchronizing: true });
  });

  it('refuses what the grammar does not allow', () => {
    for (const bad of ['"open', '"bad \\n escape"', '{5+} trailing', '{99999999999+}', 'NOOP 42x', 'X\u0001', '12345678901', 'é']) {
      const r = scan(bad);
      assert.equal(r.ok, false, bad);
    }
    assert.equal(scan(Buffer.from([0x22, 0x61, 0x00, 0x22])).ok, false, 'NUL in a quoted string');
  });

  it('decodes strings as UTF-8 only', () => {
    assert.equal(utf8({ kind: 'string', value: Buffer.from('ok é') }), 'ok é');
    assert.equal(utf8({ kind: 'string', value: Buffer.from([0xff]) }), undefined);
    assert.equal(utf8({ kind: 'string', value: Buffer.alloc(0), discarded: 10 }), undefined);
    assert.equal(utf8({ kind: 'atom', value: 'X' }), undefined);
  });

  it('applies the script-name rules of RFC 5804 §1.6', () => {
    assert.ok(isValidScriptName('vacation rules'));
    assert.ok(isValidScriptName('règles'));
    for (const bad of ['', 'a\u0000', 'a\nb', 'a\u0085b', 'a\u2028b', 'x'.repeat(1025)]) assert.equal(isValidScriptName(bad), false, JSON.stringify(bad));
  });
});

describe('ManageSieve responses', () => {
  it('writes strings quoted when possible, as literals otherwise', () => {
    assert.equal(str('a "b" \\ c'), '"a \\"b\\" \\\\ c"');
    assert.equal(str('line 1\r\nline 2'), '{14}\r\nline 1\r\nline 2');
    assert.equal(str('x'.repeat(1025)).slice(0, 8), '{1025}\r\n');
    assert.equal(no('Gone', 'NONEXISTENT'), 'NO (NONEXISTENT) "Gone"\r\n');
    assert.equal(ok(), 'OK\r\n');
    assert.equal(okTagged('t"1', 'Done'), 'OK (TAG "t\\"1") "Done"\r\n');
  });
});
