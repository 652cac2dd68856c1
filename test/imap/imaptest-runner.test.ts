// The conformance runner's own parts, so a passing imaptest score cannot come from a matcher that
// accepts everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './imaptest/args.js';
import { matchArgs, Variables, NO_MATCH_ALL, expandAll } from './imaptest/match.js';
import { parseScript } from './imaptest/script.js';
import { parseMbox } from './imaptest/mbox.js';

const untaggedExpect = (line: string) => parseScript('t', `\nok noop\n* ${line}\n`).groups[0]!.untagged[0]!.args;
const matches = (expected: string, actual: string, vars = new Variables(), prefix = false): boolean =>
  matchArgs(vars, untaggedExpect(expected), parseArgs(actual), NO_MATCH_ALL, prefix) === NO_MATCH_ALL;

test('arguments: bracketed atoms stay whole, literals and NIL parse', () => {
  const a = parseArgs('1 FETCH (BODY[HEADER.FIELDS (FROM)] {3}\r\nabc UID 4 X NIL)');
  assert.equal(a.length, 3);
  const l = a[2];
  assert.ok(l && l.t === 'list');
  if (l.t === 'list') {
    assert.deepEqual(l.items[0], { t: 'atom', v: 'BODY[HEADER.FIELDS (FROM)]' });
    assert.deepEqual(l.items[1], { t: 'string', v: 'abc', literal: true });
    assert.deepEqual(l.items[5], { t: 'nil' });
  }
});

test('matching binds variables once and then requires the same value', () => {
  const vars = new Variables();
  assert.ok(matches('1 fetch (uid $uid1)', '1 FETCH (UID 17)', vars));
  assert.equal(vars.values.get('uid1'), '17');
  assert.ok(matches('1 fetch (uid $uid1)', '1 FETCH (UID 17)', vars));
  assert.ok(!matches('1 fetch (uid $uid1)', '1 FETCH (UID 18)', vars));
  assert.equal(expandAll(vars, 'uid fetch $uid1 flags'), 'uid fetch 17 flags');
});

test('FETCH lists are unordered pairs and FLAGS lists must not carry extra flags', () => {
  assert.ok(matches('1 fetch (flags (\\seen) uid 3)', '1 FETCH (UID 3 FLAGS (\\Seen \\Recent))'));
  assert.ok(!matches('1 fetch (flags (\\seen))', '1 FETCH (FLAGS (\\Seen \\Flagged))'));
  assert.ok(!matches('1 fetch (flags (\\seen))', '1 FETCH (FLAGS ())'));
  assert.ok(!matches('2 fetch (uid 3)', '1 FETCH (UID 3)'));
});

test('LIST attributes: $!ban forbids an extra attribute, plain lists allow extras', () => {
  assert.ok(matches('list () "/" foo', 'LIST (\\HasNoChildren) "/" foo'));
  assert.ok(!matches('list ($!unordered $!ban=\\haschildren) "/" foo', 'LIST (\\HasChildren) "/" foo'));
  assert.ok(!matches('list () "/" foo', 'LIST () "/" bar'));
});

test('OK responses match by prefix; text after the code is ignored', () => {
  assert.ok(matches('ok [uidnext $n]', 'OK [UIDNEXT 5] Predicted next UID', new Variables(), true));
  assert.ok(!matches('ok [uidnext 6]', 'OK [UIDNEXT 5] Predicted next UID', new Variables(), true));
});

test('scripts: headers, pipelined tags, connection numbers and multi-line literals', () => {
  const s = parseScript(
    'x',
    'connections: 2\nstate: auth\n\n1 tag1 create a\n1 tag2 create b\n1 tag1 ok\n1 tag2 ok\n2 ok append a {{{\nSubject: x\n\nbody\n}}}\n* 1 exists\n',
  );
  assert.equal(s.connections, 2);
  assert.equal(s.state, 'auth');
  assert.equal(s.groups.length, 2);
  assert.equal(s.groups[0]!.commands.length, 2);
  assert.equal(s.groups[1]!.connection, 1);
  assert.equal(s.groups[1]!.commands[0]!.text, 'append a {18}\r\nSubject: x\r\n\r\nbody');
});

test('mbox: messages split at From_ lines with CRLF and the From_ date as INTERNALDATE', () => {
  const m = parseMbox('From a@b  Fri Feb 22 17:06:23 2008\nSubject: 1\n\nx\n\nFrom a@b  Sat Feb 23 01:00:00 2008 +0200\nSubject: 2\n\ny\n');
  assert.equal(m.length, 2);
  assert.equal(m[0]!.data, 'Subject: 1\r\n\r\nx\r\n\r\n');
  assert.equal(m[0]!.internalDate, '22-Feb-2008 17:06:23 +0000');
  assert.equal(m[1]!.internalDate, '23-Feb-2008 01:00:00 +0200');
});
