import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFramer, type FrameEvent, type LiteralAnnouncement } from '../../src/imap/proto/framer.js';
import { appendLiteralSinks } from '../../src/imap/literal-spool.js';
import { SpoolDir } from '../../src/store/index.js';
import { waitFor } from '../support/wait.js';
import { tokenize } from '../../src/imap/proto/tokens.js';
import { decodeMutf7, encodeMutf7 } from '../../src/imap/proto/mutf7.js';
import { parseSequenceSet, resolveSequenceNumbers, formatSequenceSet } from '../../src/imap/proto/sequence.js';
import { imapString, astring, toBuffer } from '../../src/imap/proto/serialize.js';
import { ImapSyntaxError } from '../../src/imap/proto/errors.js';
import { trickle } from '../support/trickle.js';

const limits = { maxLineLength: 1000, maxLiteralSize: 100 };

function drain(f: CommandFramer): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let e = f.next(); e; e = f.next()) out.push(e);
  return out;
}

test('framer returns a simple command and waits for CRLF', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('a1 NOOP'));
  assert.equal(f.next(), null);
  f.push(Buffer.from('\r\n'));
  const e = f.next();
  assert.equal(e?.type, 'command');
});

test('framer asks for continuation on a synchronising literal and not on LITERAL+', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('a LOGIN {3}\r\n'));
  assert.deepEqual(f.next(), { type: 'continue', size: 3 });
  f.push(Buffer.from('bob {4+}\r\npass\r\n'));
  const e = f.next();
  assert.equal(e?.type, 'command');
  if (e?.type !== 'command') return;
  const toks = tokenize(e.segments);
  assert.equal(toks.length, 4);
  assert.deepEqual(toks.map((t) => (t.type === 'string' ? t.value.toString() : t.type === 'atom' ? t.value : '')), ['a', 'LOGIN', 'bob', 'pass']);
});

test('framer refuses an oversized synchronising literal before its bytes arrive and stays in step', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('t1 APPEND INBOX {1073741824}\r\nt2 NOOP\r\n'));
  const [a, b] = drain(f);
  assert.deepEqual(a, { type: 'reject', reason: 'literal-too-big', tag: 't1', command: 'APPEND', fatal: false });
  assert.equal(b?.type, 'command');
});

test('framer marks an oversized non-synchronising literal as fatal', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('t1 APPEND INBOX {1000+}\r\nxxxx'));
  const e = f.next();
  assert.equal(e?.type, 'reject');
  assert.equal(e?.type === 'reject' && e.fatal, true);
});

test('framer discards an over-long line without buffering it and resumes after CRLF', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('t1 NOOP ' + 'x'.repeat(5000)));
  const e = f.next();
  assert.equal(e?.type, 'reject');
  assert.equal(e?.type === 'reject' && e.tag, 't1');
  f.push(Buffer.alloc(1_000_000, 0x78));
  assert.equal(f.next(), null);
  assert.equal(f.pendingBytes, 0);
  f.push(Buffer.from('\r\nt2 NOOP\r\n'));
  assert.equal(f.next()?.type, 'command');
});

test('framer names the tag of an over-long line whose tag arrived split across reads', () => {
  // The refusal is sent under the client's tag; a tag cut between two TCP segments used to come
  // out as its first segment only ("a" for "a1"), so the client never saw its command answered.
  for (const cut of [1, 2, 5]) {
    const f = new CommandFramer({ maxLineLength: 40, maxLiteralSize: 12 });
    const line = Buffer.from(`a1 LOGIN "alice@example.org" "pa\\\\ss\\"word"\r\n`);
    f.push(line.subarray(0, cut));
    assert.equal(f.next(), null);
    for (let i = cut; i < line.length; i++) f.push(line.subarray(i, i + 1));
    assert.deepEqual(f.next(), { type: 'reject', reason: 'line-too-long', tag: 'a1', command: 'LOGIN', fatal: false });
  }
});

test('framer looks at each read once while a line arrives one byte per TCP segment', () => {
  // Every read used to restart the search for LF at the first buffered byte: a 64 KiB line sent
  // one byte per segment cost the server minutes of CPU.
  const count = { searches: 0 };
  const line = `a1 NOOP ${'x'.repeat(8000)}\r\n`;
  const f = new CommandFramer({ maxLineLength: 65536, maxLiteralSize: 100 });
  const events: FrameEvent[] = [];
  for (const read of trickle(line, count)) {
    f.push(read);
    for (let e = f.next(); e; e = f.next()) events.push(e);
  }
  assert.deepEqual(events.map((e) => e.type), ['command']);
  assert.ok(count.searches <= 2 * line.length, `${count.searches} searches for ${line.length} reads`);
});

test('framer handles byte-at-a-time input with literals', () => {
  const f = new CommandFramer(limits);
  const input = 'x APPEND box (\\Seen) {5+}\r\nhello\r\n';
  const events: FrameEvent[] = [];
  for (const ch of Buffer.from(input)) {
    f.push(Buffer.from([ch]));
    for (let e = f.next(); e; e = f.next()) events.push(e);
  }
  assert.equal(events.length, 1);
  const e = events[0]!;
  assert.equal(e.type, 'command');
  if (e.type === 'command') {
    const toks = tokenize(e.segments);
    const lit = toks[4];
    assert.equal(lit?.type === 'string' && lit.value.toString(), 'hello');
  }
});

test('framer raw line mode returns lines without literal processing', () => {
  const f = new CommandFramer(limits);
  f.push(Buffer.from('dGVzdA== {5}\r\n'));
  assert.deepEqual(f.next('line'), { type: 'line', line: Buffer.from('dGVzdA== {5}') });
});

test('tokenizer parses lists, quoted strings with escapes and fetch sections', () => {
  const toks = tokenize([{ kind: 'text', data: Buffer.from('a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>) "q\\"x\\\\"') }]);
  assert.equal(toks.length, 5);
  const l = toks[3];
  assert.equal(l?.type, 'list');
  if (l?.type === 'list') {
    assert.equal(l.items.length, 2);
    assert.deepEqual(l.items[1], { type: 'atom', value: 'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>' });
  }
  const q = toks[4];
  assert.equal(q?.type === 'string' && q.value.toString(), 'q"x\\');
});

test('tokenizer rejects hostile input with syntax errors', () => {
  const bad = ['a x "unterminated', 'a x ((a)', 'a x )', 'a x "bad\\escape"', 'a x \x01', 'a ' + '('.repeat(100)];
  for (const s of bad) assert.throws(() => tokenize([{ kind: 'text', data: Buffer.from(s) }]), ImapSyntaxError, s);
});

test('modified UTF-7 round-trips and rejects invalid encodings', () => {
  const cases: Array<[string, string]> = [
    ['Entwürfe', 'Entw&APw-rfe'],
    ['&', '&-'],
    ['日本語', '&ZeVnLIqe-'],
    ['A&B', 'A&-B'],
    ['😀', '&2D3eAA-'],
  ];
  for (const [u, m] of cases) {
    assert.equal(encodeMutf7(u), m);
    assert.equal(decodeMutf7(m), u);
  }
  for (const bad of ['&', '&AGE-', '&Jjo', '&U,BTFw-&ZeVnLIqe-', '&2D0-', '&AP-', 'a\u00e9', '&APx']) {
    assert.throws(() => decodeMutf7(bad), ImapSyntaxError, bad);
  }
});

test('sequence sets parse, resolve and refuse numbers above 2^32-1', () => {
  const s = parseSequenceSet('1:3,5,*');
  assert.equal(s.kind, 'ranges');
  if (s.kind === 'ranges') assert.deepEqual(resolveSequenceNumbers(s.ranges, 6), [1, 2, 3, 5, 6]);
  const r = parseSequenceSet('4:2');
  if (r.kind === 'ranges') assert.deepEqual(resolveSequenceNumbers(r.ranges, 3), [2, 3]);
  assert.equal(parseSequenceSet('$').kind, 'saved');
  assert.throws(() => parseSequenceSet('1:4294967296'), ImapSyntaxError);
  assert.throws(() => parseSequenceSet('0'), ImapSyntaxError);
  assert.throws(() => parseSequenceSet('1,,2'), ImapSyntaxError);
  assert.throws(() => parseSequenceSet('abc'), ImapSyntaxError);
  assert.equal(formatSequenceSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
});

test('serialiser quotes safe strings and uses literals for CRLF, NUL and 8-bit', () => {
  assert.equal(imapString('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(toBuffer([imapString('a\r\nb')]).toString(), '{4}\r\na\r\nb');
  assert.equal(toBuffer([imapString('é')]).toString('latin1'), '{2}\r\n\xc3\xa9');
  assert.equal(imapString('é', { utf8: true }), '"é"');
  assert.equal(astring('INBOX'), 'INBOX');
  assert.equal(astring('NIL'), '"NIL"');
  assert.equal(astring('a b'), '"a b"');
});

test('framer hands APPEND message literals to the sink the factory picks, stops while it is full, and abort removes its file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-framer-'));
  try {
    const spool = new SpoolDir(dir);
    await spool.prepare();
    const f = new CommandFramer({ maxLineLength: 1000, maxLiteralSize: 10 * 1024 * 1024 });
    const seen: LiteralAnnouncement[] = [];
    // The mailbox name literal stays in memory; the 1 MB message literal goes to the sink.
    const message = Buffer.alloc(1024 * 1024, 0x61);
    f.setLiteralSink((l) => {
      seen.push(l);
      return appendLiteralSinks(spool)(l);
    });
    f.push(Buffer.from('a APPEND {5+}\r\nINBOX {1048576+}\r\n'));
    f.push(message);
    f.push(Buffer.from('\r\n'));
    let ev: FrameEvent | null;
    let waits = 0;
    while (!(ev = f.next())) {
      const sink = f.blockedOn;
      assert.ok(sink, 'the framer only stops for a full sink: all input is there');
      assert.ok(sink.byteCount < message.length);
      waits++;
      await sink.drained();
    }
    assert.ok(waits > 0, 'the sink filled up at least once');
    assert.equal(ev.type, 'command');
    const segs = ev.type === 'command' ? ev.segments : [];
    assert.deepEqual(seen.map((l) => [l.command, l.firstArgument, l.size]), [['APPEND', true, 5], ['APPEND', false, message.length]]);
    assert.equal(segs[1]?.kind, 'literal');
    const spooled = segs[3];
    assert.ok(spooled?.kind === 'spooled');
    assert.equal(spooled.size, message.length);
    // The last slices may still be on their way to the file (the command's finish() waits for them).
    await spooled.message.drained();
    assert.equal((await readFile(spooled.message.path!)).length, message.length);
    await spooled.message.discard();
    assert.deepEqual(await spool.files(), []);

    // A literal cut off by the end of the connection: abort() removes what was written.
    f.push(Buffer.from('b APPEND INBOX {1048576+}\r\n'));
    f.push(message.subarray(0, 100 * 1024));
    while (f.next() === null && f.blockedOn) await f.blockedOn.drained();
    await waitFor('the partial literal in the spool', async () => (await spool.files()).length === 1);
    f.abort();
    await waitFor('the spool to be empty', async () => (await spool.files()).length === 0);
    // Other commands' literals never go to a sink.
    f.push(Buffer.from('c LOGIN {3+}\r\nbob {200000+}\r\n'));
    f.push(Buffer.alloc(200000, 0x62));
    f.push(Buffer.from('\r\n'));
    const login = f.next();
    assert.ok(login?.type === 'command' && login.segments.every((s) => s.kind !== 'spooled'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
