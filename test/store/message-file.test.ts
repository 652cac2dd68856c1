// Ingest parses a message from its file through a small window (src/store/message-file.ts) instead of
// reading it whole: the analysis must be the one the message in memory gives, whatever the window
// size (tiny windows make every search, line count and boundary straddle window edges), and
// quoted-printable text decoded in line-aligned pieces must equal its decoding as a whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage } from '../../src/mime/parse.js';
import { bufferBytes } from '../../src/mime/bytes.js';
import { decodeQuotedPrintable, quotedPrintablePieces } from '../../src/mime/decode.js';
import { MessageFile } from '../../src/store/message-file.js';
import { deepMessages, deepNesting, manyAddresses, manyParts } from '../support/hostile-messages.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-message-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (buf: Buffer): string => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
const qp = (s: string): string =>
  s
    .replace(/=/g, '=3D')
    .replace(/[^\x00-\x7f]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `=${b.toString(16).toUpperCase()}`).join(''))
    .replace(/(.{70})/g, '$1=\r\n');

function samples(): Array<[string, Buffer]> {
  const text = 'Ligne: le renard brun saute — 5 € par-dessus le chien.\r\n';
  return [
    ['plain', Buffer.from('Subject: hi\r\nFrom: a@b.example\r\n\r\nhello\r\nworld\r\n')],
    ['no headers', Buffer.from('\r\njust a body')],
    ['not a message', Buffer.from('garbage without any header line\nsecond line')],
    ['big text', Buffer.from(`Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text.repeat(30000)}`)],
    [
      'quoted-printable text with soft breaks',
      Buffer.from(`Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(text.repeat(20000))}`),
    ],
    [
      'quoted-printable html',
      Buffer.from(`Subject: qp html\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(`<p>${text}</p>`.repeat(20000))}`),
    ],
    [
      'multipart with attachment',
      Buffer.from(
        [
          'Subject: mixed',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          'preamble --b1 not at a line start',
          '--b1',
          'Content-Type: text/plain; charset=iso-8859-1',
          'Content-Transfer-Encoding: base64',
          '',
          b64(Buffer.from('caf\xe9 '.repeat(5000), 'latin1')),
          '--b1',
          'Content-Type: message/rfc822',
          '',
          'Subject: inner',
          'Content-Type: multipart/alternative; boundary="in"',
          '',
          '--in',
          'Content-Type: text/plain',
          '',
          'inner text',
          '--in',
          'Content-Type: text/html',
          '',
          '<b>inner</b> html',
          '--in--',
          '--b1',
          'Content-Type: application/octet-stream',
          'Content-Transfer-Encoding: base64',
          '',
          b64(Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 131) & 255))),
          '--b1--',
          'epilogue',
        ].join('\r\n'),
        'latin1',
      ),
    ],
    ['many parts', manyParts(3000)],
    ['many addresses', manyAddresses(2000)],
    ['deep nesting', deepNesting(60)],
    ['deep messages', deepMessages(60)],
  ];
}

test('a message parsed from its file through a window is analysed as the same message in memory', async () => {
  for (const [name, bytes] of samples()) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.eml`);
    await writeFile(file, bytes);
    const expected = parseMessage(bytes);
    // Byte-sized windows make a read per byte: for the small samples only.
    for (const window of bytes.length < 200_000 ? [1, 7, 64, 4096, 1 << 20] : [61, 4096, 1 << 20]) {
      const got = MessageFile.with(file, bytes.length, parseMessage, window);
      assert.deepEqual(got, expected, `${name}, ${window}-byte window`);
    }
  }
});

test('a window answers searches across its edges as the Buffer does', async () => {
  const bytes = Buffer.from('ab--boundary\r\nxx--bound--boundary--\r\n\r\n--boundary', 'latin1');
  const file = join(dir, 'search.bin');
  await writeFile(file, bytes);
  const mem = bufferBytes(bytes);
  for (const window of [1, 3, 5, 16]) {
    MessageFile.with(
      file,
      bytes.length,
      (f) => {
        for (const needle of [Buffer.from('--boundary'), Buffer.from('\r\n\r\n'), 10, 0x2d]) {
          for (let from = 0; from <= bytes.length; from++) {
            for (let end = from; end <= bytes.length; end++) {
              assert.equal(f.indexOf(needle, from, end), mem.indexOf(needle, from, end), `window ${window}, [${from}, ${end})`);
            }
          }
        }
        for (let start = 0; start <= bytes.length; start++) {
          assert.equal(f.count(10, start, bytes.length), mem.count(10, start, bytes.length));
          assert.equal(f.latin1(start, bytes.length), mem.latin1(start, bytes.length));
        }
      },
      window,
    );
  }
});

test('quoted-printable decoded in line-aligned pieces equals its decoding as a whole', () => {
  const lines = [
    'plain line',
    'soft break at the end=',
    'soft break with blanks after it=  \t',
    'an escape cut by a soft break =4=',
    '1 continues it',
    'trailing blanks   ',
    '=C3=A9t=C3=A9 =E2=82=AC',
    '',
    '=',
    'bare = sign and =ZZ',
  ];
  let seed = 7;
  const random = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let round = 0; round < 200; round++) {
    const eol = round % 2 === 0 ? '\r\n' : '\n';
    const body = Buffer.from(Array.from({ length: 40 }, () => lines[random(lines.length)]).join(eol), 'latin1');
    const whole = decodeQuotedPrintable(body);
    for (const size of [1, 5, 17, 64]) {
      const pieces = [...quotedPrintablePieces(bufferBytes(body), 0, body.length, size)];
      assert.deepEqual(Buffer.concat(pieces), whole, `round ${round}, ${size}-byte pieces`);
      assert.ok(pieces.every((p) => p.length > 0));
    }
  }
});
