// The POP3 proto part is pure: the same bytes give the same answer, nothing a client sends throws,
// and the byte-stuffer is exact whatever the slicing (property tests over seeded random inputs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, parseLineCount, parseMessageNumber, VERBS } from '../../src/pop3/proto/command.js';
import { err, multiline, ok } from '../../src/pop3/proto/response.js';
import { DotStuffer } from '../../src/pop3/proto/stuffer.js';
import { mulberry32 } from '../support/prng.js';

const RUNS = 2000;

function randomBytes(rnd: () => number, max: number, alphabet?: Buffer): Buffer {
  const n = Math.floor(rnd() * max);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = alphabet ? alphabet[Math.floor(rnd() * alphabet.length)]! : Math.floor(rnd() * 256);
  return out;
}

/** Stuffs `message` cut into random slices, as RETR/TOP do with store reads. */
function stuff(message: Buffer, rnd: () => number, bodyLines?: number): Buffer {
  const s = new DotStuffer(bodyLines);
  const parts: Buffer[] = [];
  let at = 0;
  while (at < message.length && !s.finished) {
    const n = 1 + Math.floor(rnd() * 16);
    parts.push(s.push(message.subarray(at, at + n)));
    at += n;
  }
  parts.push(s.end());
  return Buffer.concat(parts);
}

/** What a client does: split at CRLF up to the lone ".", removing one leading dot per line. */
function unstuff(wire: Buffer): { lines: string[]; terminated: boolean } {
  const text = wire.toString('latin1');
  assert.ok(text.endsWith('\r\n.\r\n') || text === '.\r\n', 'ends with CRLF . CRLF');
  const lines = text.slice(0, text.length - 3).split('\r\n');
  lines.pop();
  const out: string[] = [];
  for (const l of lines) {
    assert.notEqual(l, '.', 'no line of the body is a lone dot');
    out.push(l.startsWith('.') ? l.slice(1) : l);
  }
  return { lines: out, terminated: true };
}

describe('POP3 command parser', () => {
  it('parses every verb case-insensitively, with arguments split on single spaces', () => {
    for (const verb of VERBS) {
      const r = parseCommandLine(Buffer.from(`${verb.toLowerCase()} 1 2`));
      assert.deepEqual(r, { ok: true, verb, args: ['1', '2'], rest: '1 2' });
    }
    assert.deepEqual(parseCommandLine(Buffer.from('PASS a pass with spaces')), { ok: true, verb: 'PASS', args: ['a', 'pass', 'with', 'spaces'], rest: 'a pass with spaces' });
    assert.equal(parseCommandLine(Buffer.from('APOP a b')).ok, false, 'APOP is not served');
    assert.equal(parseCommandLine(Buffer.from('STAT\0')).ok, false);
    assert.equal(parseMessageNumber('0'), undefined);
    assert.equal(parseMessageNumber('007'), undefined);
    assert.equal(parseMessageNumber('12'), 12);
    assert.equal(parseLineCount('0'), 0);
    assert.equal(parseLineCount('-1'), undefined);
  });

  it('never throws, and answers the same bytes the same way (random input)', () => {
    const rnd = mulberry32(1939);
    for (let i = 0; i < RUNS; i++) {
      const line = rnd() < 0.5 ? randomBytes(rnd, 80) : Buffer.concat([Buffer.from(VERBS[Math.floor(rnd() * VERBS.length)]!), randomBytes(rnd, 40)]);
      const a = parseCommandLine(line);
      assert.deepEqual(parseCommandLine(Buffer.from(line)), a);
      if (a.ok) assert.ok((VERBS as readonly string[]).includes(a.verb));
    }
  });
});

describe('POP3 byte-stuffing', () => {
  it('RETR: un-stuffing gives the message back, whatever the slicing, and no body line is a lone dot', () => {
    const rnd = mulberry32(2449);
    const alphabet = Buffer.from('..\r\n\r\nab. \n');
    for (let i = 0; i < RUNS; i++) {
      const body = randomBytes(rnd, 200, alphabet);
      // Stored messages end lines with CRLF: normalise the random body so the round trip is exact.
      const message = Buffer.from(body.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/\r(?!\n)/g, ''), 'latin1');
      const { lines } = unstuff(stuff(message, rnd));
      const expected = message.toString('latin1').split('\r\n');
      if (expected[expected.length - 1] === '') expected.pop();
      assert.deepEqual(lines, expected, JSON.stringify(message.toString('latin1')));
    }
  });

  it('TOP: the header, the blank line and exactly n body lines', () => {
    const rnd = mulberry32(5034);
    for (let i = 0; i < RUNS / 4; i++) {
      const header = ['Subject: x', 'From: y'];
      const body = Array.from({ length: Math.floor(rnd() * 8) }, (_, k) => (rnd() < 0.3 ? `.line ${k}` : `line ${k}`));
      const message = Buffer.from(header.join('\r\n') + '\r\n\r\n' + body.join('\r\n') + (body.length > 0 && rnd() < 0.5 ? '\r\n' : ''), 'latin1');
      const n = Math.floor(rnd() * 10);
      const { lines } = unstuff(stuff(message, rnd, n));
      assert.deepEqual(lines, [...header, '', ...body.slice(0, n)]);
    }
  });

  it('status lines carry no line break and multi-line responses stuff their lines', () => {
    assert.equal(err('a\r\nb', 'AUTH'), '-ERR [AUTH] a b\r\n');
    assert.equal(ok(), '+OK\r\n');
    assert.equal(multiline(ok('x'), ['.a', 'b']), '+OK x\r\n..a\r\nb\r\n.\r\n');
  });
});
