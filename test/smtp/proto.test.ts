import { mulberry32 as prng } from '../support/prng.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from '../../src/net/byte-queue.js';
import { DataDecoder } from '../../src/smtp/proto/data-decoder.js';
import { parseCommandLine } from '../../src/smtp/proto/command.js';
import { parsePathArgument, parseMailbox, unquoteLocalPart } from '../../src/smtp/proto/path.js';
import { formatReply, reply } from '../../src/smtp/proto/reply.js';
import { parseBdatArgs } from '../../src/smtp/proto/bdat.js';
import { SizeLimit } from '../../src/store/spool/size-limit.js';
import { trickle } from '../support/trickle.js';

/** Decodes as the session does: the decoder's output goes on (here: to a list) and is counted. */
function decodeInChunks(input: string, chunkSize: number, max = 0): { done: boolean; out: string; rest: string; size: SizeLimit; decoder: DataDecoder } {
  const decoder = new DataDecoder();
  const size = new SizeLimit(max);
  const kept: Buffer[] = [];
  const bytes = Buffer.from(input, 'latin1');
  for (let i = 0; i < bytes.length; i += chunkSize) {
    const chunk = bytes.subarray(i, i + chunkSize);
    const r = decoder.feed(chunk);
    if (size.add(r.output.length)) kept.push(r.output);
    if (r.done) {
      const rest = Buffer.concat([chunk.subarray(r.consumed), bytes.subarray(i + chunkSize)]).toString('latin1');
      return { done: true, out: size.overflow ? '' : Buffer.concat(kept).toString('latin1'), rest, size, decoder };
    }
  }
  return { done: false, out: '', rest: '', size, decoder };
}

test('reply formatting: single and multi-line with enhanced codes', () => {
  assert.equal(formatReply(reply(250, '2.0.0', 'Ok')), '250 2.0.0 Ok\r\n');
  assert.equal(formatReply(reply(250, undefined, 'a', 'b', 'c')), '250-a\r\n250-b\r\n250 c\r\n');
  assert.equal(formatReply(reply(334, undefined, '')), '334 \r\n');
  // A CR/LF inside text can never start a forged reply line.
  assert.equal(formatReply(reply(550, '5.1.1', 'x\r\n250 ok')), '550 5.1.1 x  250 ok\r\n');
});

test('line reader: splits lines, keeps the remainder, flags bare LF', () => {
  const q = new ByteQueue();
  q.push(Buffer.from('EHLO a\r\nMAIL FR'));
  const first = q.takeLine(512);
  assert.equal(first.kind, 'line');
  assert.equal(first.kind === 'line' && first.line.toString(), 'EHLO a');
  assert.equal(q.takeLine(512).kind, 'incomplete');
  q.push(Buffer.from('OM:<a@b>\nNOOP\r\n'));
  const second = q.takeLine(512);
  assert.ok(second.kind === 'line' && second.bareLf && second.line.toString() === 'MAIL FROM:<a@b>');
  const third = q.takeLine(512);
  assert.ok(third.kind === 'line' && !third.bareLf && third.line.toString() === 'NOOP');
});

test('line reader: a 10 MB line is dropped without being buffered, next line survives', () => {
  const q = new ByteQueue();
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let tooLong = 0;
  for (let i = 0; i < 160; i++) {
    q.push(chunk);
    const r = q.takeLine(1000);
    if (r.kind === 'too-long') tooLong++;
    assert.ok(q.length <= 64 * 1024, 'buffer stays bounded');
  }
  q.push(Buffer.from('AAAA\r\nNOOP\r\n'));
  assert.equal(tooLong, 1);
  const r = q.takeLine(1000);
  assert.ok(r.kind === 'line' && r.line.toString() === 'NOOP');
});

test('line reader: a line just over the limit with its CRLF in the same chunk is refused', () => {
  const q = new ByteQueue();
  q.push(Buffer.from('x'.repeat(511) + '\r\nNOOP\r\n'));
  assert.equal(q.takeLine(512).kind, 'too-long');
  const r = q.takeLine(512);
  assert.ok(r.kind === 'line' && r.line.toString() === 'NOOP');
});

test('line reader: looks at each read once while a line arrives one byte per TCP segment', () => {
  // Every read used to restart the search for LF at the first buffered byte: a 64 KiB line sent
  // one byte per segment cost the server minutes of CPU.
  const count = { searches: 0 };
  const line = `MAIL FROM:<${'x'.repeat(8000)}@example.org>\r\n`;
  const q = new ByteQueue();
  const lines: string[] = [];
  for (const read of trickle(line, count)) {
    q.push(read);
    const r = q.takeLine(65536);
    if (r.kind === 'line') lines.push(r.line.toString('latin1'));
  }
  assert.deepEqual(lines, [line.slice(0, -2)]);
  assert.ok(count.searches <= 2 * line.length, `${count.searches} searches for ${line.length} reads`);
});

test('DATA: dot-unstuffing and terminator at every chunk split', () => {
  const wire = 'Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n';
  for (let size = 1; size <= wire.length; size++) {
    const r = decodeInChunks(wire, size);
    assert.equal(r.done, true, `chunk size ${size}`);
    assert.equal(r.out, 'Subject: x\r\n\r\n.leading dot\r\n');
    assert.equal(r.rest, 'QUIT\r\n');
  }
});

test('DATA: empty message, and a terminator right at the start', () => {
  const r = decodeInChunks('.\r\n', 1);
  assert.equal(r.done, true);
  assert.equal(r.out, '');
});

test('DATA: bare LF never terminates (SMTP smuggling) and is normalised to CRLF', () => {
  const r1 = decodeInChunks('a\n.\nMAIL FROM:<x@y>\r\n.\r\n', 3);
  assert.equal(r1.done, true);
  assert.equal(r1.out, 'a\r\n.\r\nMAIL FROM:<x@y>\r\n');
  assert.ok(r1.decoder.sawBareLf);
  const r2 = decodeInChunks('a\r\n.\nb\r\n.\r\n', 2);
  assert.equal(r2.out, 'a\r\n\r\nb\r\n');
  const r3 = decodeInChunks('a\n.\r\nb\r\n.\r\n', 5);
  assert.equal(r3.out, 'a\r\n.\r\nb\r\n');
});

test('DATA: bare CR kept, CR CR LF handled', () => {
  const r = decodeInChunks('a\rb\r\r\n.\r\n', 1);
  assert.equal(r.out, 'a\rb\r\r\n');
});

test('DATA: size limit counts but does not keep the overflow', () => {
  const body = 'x'.repeat(100) + '\r\n';
  const r = decodeInChunks(body.repeat(50) + '.\r\n', 64, 1000);
  assert.equal(r.done, true);
  assert.equal(r.size.overflow, true);
  assert.equal(r.size.byteCount, body.length * 50);
});

test('DATA: NUL bytes are detected', () => {
  const r = decodeInChunks('a\x00b\r\n.\r\n', 4);
  assert.equal(r.decoder.sawNul, true);
});

test('command parser: verbs case-insensitive, unknown and hostile lines', () => {
  assert.deepEqual(parseCommandLine(Buffer.from('ehlo client.example')), { ok: true, verb: 'EHLO', args: 'client.example' });
  assert.deepEqual(parseCommandLine(Buffer.from('QUIT')), { ok: true, verb: 'QUIT', args: '' });
  assert.deepEqual(parseCommandLine(Buffer.from('FOO bar')), { ok: false, reason: 'unknown', verb: 'FOO' });
  const nul = parseCommandLine(Buffer.from('MAIL FROM:<a\x00@b>'));
  assert.ok(!nul.ok && nul.reason === 'syntax' && /NUL/.test(nul.message));
  const bad = parseCommandLine(Buffer.from([0x4d, 0x41, 0x49, 0x4c, 0x20, 0xff, 0xfe]));
  assert.ok(!bad.ok && bad.reason === 'syntax');
  assert.ok(!parseCommandLine(Buffer.from('   ')).ok);
});

test('paths: null sender, params, quoted local parts, SMTPUTF8', () => {
  const nul = parsePathArgument('FROM:<>', 'FROM', true);
  assert.ok(nul.ok && nul.mailbox === null);
  assert.ok(!parsePathArgument('TO:<>', 'TO', false).ok);
  const p = parsePathArgument('FROM:<a.b@example.com> SIZE=1000 BODY=8BITMIME SMTPUTF8', 'FROM', true);
  assert.ok(p.ok);
  assert.equal(p.ok && p.mailbox?.address, 'a.b@example.com');
  assert.equal(p.ok && p.params.get('SIZE'), '1000');
  assert.equal(p.ok && p.params.get('SMTPUTF8'), true);
  const spaced = parsePathArgument('from: <x@y.z>', 'FROM', true);
  assert.ok(spaced.ok && spaced.mailbox?.address === 'x@y.z');
  const quoted = parsePathArgument('TO:<"john >doe"@example.com>', 'TO', false);
  assert.ok(quoted.ok && quoted.mailbox?.localPart === '"john >doe"');
  assert.equal(unquoteLocalPart('"a\\"b"'), 'a"b');
  const u = parsePathArgument('TO:<用户@例子.广告>', 'TO', false);
  assert.ok(u.ok && u.mailbox?.utf8 === true);
  const route = parsePathArgument('TO:<@relay.example:user@example.com>', 'TO', false);
  assert.ok(route.ok && route.mailbox?.address === 'user@example.com');
  const literal = parsePathArgument('TO:<postmaster@[127.0.0.1]>', 'TO', false);
  assert.ok(literal.ok && literal.mailbox?.domain === '[127.0.0.1]');
});

test('paths: malformed addresses are refused', () => {
  for (const bad of ['TO:<a@>', 'TO:<@b>', 'TO:<a..b@c>', 'TO:<a@b', 'TO:<a@-b.com>', 'TO:<a b@c>', 'TO:<a@[999.1.1.1]>', 'TX:<a@b>', `TO:<${'a'.repeat(65)}@b.c>`, 'TO:<a@b.c>junk', 'TO:<a@b.c> =x']) {
    assert.ok(!parsePathArgument(bad, 'TO', false).ok, bad);
  }
  assert.equal(typeof parseMailbox('"unterminated@x'), 'string');
});

test('BDAT arguments and chunk accounting', () => {
  assert.deepEqual(parseBdatArgs('100 LAST'), { ok: true, size: 100, last: true });
  assert.deepEqual(parseBdatArgs('0'), { ok: true, size: 0, last: false });
  assert.ok(!parseBdatArgs('').ok);
  assert.ok(!parseBdatArgs('-1').ok);
  assert.ok(!parseBdatArgs('1 LATE').ok);
  assert.ok(!parseBdatArgs('9'.repeat(30)).ok);
  const m = new SizeLimit(10);
  m.add(Buffer.from('12345').length);
  assert.equal(m.overflow, false);
  m.add(Buffer.from('678901').length);
  assert.equal(m.overflow, true);
  assert.equal(m.byteCount, 11);
});

test('fuzz: parsers never throw on random bytes, and DATA decoding is chunking-independent', () => {
  const rand = prng(5321);
  const alphabet = Buffer.from('.\r\n\r\n<>@:" \\=AZaz09\x00\xff\xc3\xa9MAILFROM:TO');
  const randomBytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rand() < 0.8 ? alphabet[Math.floor(rand() * alphabet.length)]! : Math.floor(rand() * 256);
    return b;
  };
  for (let i = 0; i < 3000; i++) {
    const bytes = randomBytes(Math.floor(rand() * 80));
    parseCommandLine(bytes);
    const text = bytes.toString('utf8');
    parsePathArgument(`FROM:${text}`, 'FROM', true);
    parsePathArgument(`TO:<${text}>`, 'TO', false);
    parseBdatArgs(text);
    const q = new ByteQueue();
    q.push(bytes);
    for (let k = 0; k < 10 && q.takeLine(16).kind !== 'incomplete'; k++);
    // Decoding the same stream in one piece and byte by byte gives the same result.
    const stream = Buffer.concat([bytes, Buffer.from('\r\n.\r\n')]);
    const whole = new DataDecoder();
    const r1 = whole.feed(stream);
    const split = new DataDecoder();
    const splitOutput: Buffer[] = [];
    let consumed = 0;
    let done = false;
    for (let j = 0; j < stream.length && !done; j++) {
      const r = split.feed(stream.subarray(j, j + 1));
      splitOutput.push(r.output);
      consumed += r.consumed;
      done = r.done;
    }
    assert.equal(done, r1.done);
    assert.equal(consumed, r1.consumed);
    assert.deepEqual(Buffer.concat(splitOutput), r1.output);
  }
});
