// Big messages (issue #15): parseMessage decodes a text part only as far as the search body (1 MiB)
// and the preview need, and measures base64 parts without decoding them. The model must be the one
// the whole-body decoding gave: each message here is parsed and compared with a reference analysis
// written the way parse.ts did it before (every text part decoded whole, joined, then cut), and each
// leaf's decodedSize with the length of its decoded body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseMessage } from '../../src/mime/parse.js';
import { decodeText, decodeTransfer, htmlToText } from '../../src/mime/decode.js';
import type { MimePart } from '../../src/mime/types.js';

const MAX_INDEXED_TEXT = 1 << 20;
const HEAD = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n';

function leaves(part: MimePart, out: MimePart[] = []): MimePart[] {
  if (part.children.length) for (const c of part.children) leaves(c, out);
  else {
    out.push(part);
    if (part.message) leaves(part.message.body, out);
  }
  return out;
}

/** The search body and preview as parse.ts computed them before bounding the decoding. */
function reference(bytes: Buffer): { body: string; preview: string } {
  const texts: string[] = [];
  let preview = '';
  for (const part of leaves(parseMessage(bytes).parsed.body)) {
    if (part.type !== 'text' || part.disposition?.type === 'attachment') continue;
    let text = decodeText(decodeTransfer(bytes.subarray(part.bodyStart, part.end), part.encoding), part.params.charset);
    if (part.subtype === 'html') text = htmlToText(text);
    if (!preview && text.trim()) preview = text.replace(/\s+/g, ' ').trim().slice(0, 256);
    texts.push(text);
  }
  return { body: texts.join('\n').slice(0, MAX_INDEXED_TEXT), preview };
}

function assertSameModel(name: string, bytes: Buffer): void {
  const { parsed, search } = parseMessage(bytes);
  const want = reference(bytes);
  assert.equal(parsed.preview, want.preview, `${name}: preview`);
  assert.equal(search.body.length, want.body.length, `${name}: search body length`);
  assert.ok(search.body === want.body, `${name}: search body`);
  for (const part of leaves(parsed.body)) {
    const raw = bytes.subarray(part.bodyStart, part.end);
    assert.equal(part.decodedSize, decodeTransfer(raw, part.encoding).length, `${name}: decodedSize of part ${part.partId} (${part.encoding})`);
  }
}

const line = (i: number): string => `Ligne ${i}: le renard brun saute — ça coûte 5 € 🦊 par-dessus le chien.\r\n`;
const utf8Text = (lines: number): string => Array.from({ length: lines }, (_, i) => line(i)).join('');
const b64 = (buf: Buffer): string => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
const part = (headers: string, body: string): string => `--b\r\n${headers}\r\n\r\n${body}\r\n`;
const multipart = (...parts: string[]): Buffer =>
  Buffer.from(HEAD + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts.join('') + '--b--\r\n', 'utf8');

test('a big UTF-8 text/plain body: multibyte characters across the 64 KiB decoding steps, cut at 1 MiB', () => {
  assertSameModel('plain', Buffer.from(HEAD + 'Content-Type: text/plain; charset=utf-8\r\n\r\n' + utf8Text(40000), 'utf8'));
});

test('blank text first: the preview comes from far into the body or from a later part', () => {
  const spaces = ' \r\n\t'.repeat(400 * 1024);
  assertSameModel('leading blanks', Buffer.from(HEAD + 'Content-Type: text/plain; charset=utf-8\r\n\r\n' + spaces + utf8Text(20000), 'utf8'));
  assertSameModel('blank part', multipart(
    part('Content-Type: text/plain', spaces),
    part('Content-Type: text/plain; charset=utf-8', utf8Text(30000)),
  ));
  // Fewer than 256 non-space characters scattered in whitespace, then more text.
  assertSameModel('sparse', Buffer.from(HEAD + 'Content-Type: text/plain\r\n\r\n' + 'a b\r\n'.repeat(200) + ' '.repeat(300 * 1024) + utf8Text(1000), 'utf8'));
  // Whitespace-heavy text whose first preview window collapses to fewer than 257 characters.
  assertSameModel('airy', Buffer.from(HEAD + 'Content-Type: text/plain\r\n\r\n' + 'word\r\n\r\n\t \r\n'.repeat(300) + utf8Text(100), 'utf8'));
});

test('text parts in other encodings and charsets, an HTML part and a base64 attachment, past the index bound', () => {
  const latin1 = iconv.encode(utf8Text(9000).replace(/[—€🦊]/g, '?'), 'iso-8859-1');
  const sjis = iconv.encode('日本語のテキスト、とても長い。\r\n'.repeat(30000), 'shift_jis');
  const utf7 = iconv.encode('日本語のテキスト。 and some ASCII +\r\n'.repeat(30000), 'utf-7'); // stateful: shifts span steps
  const utf16 = iconv.encode(utf8Text(6000), 'utf-16', { addBOM: true });
  const attachment = Buffer.alloc(3 * 1024 * 1024 + 2, 7);
  assertSameModel('mixed', multipart(
    part('Content-Type: text/html; charset=utf-8', '<style>p{}</style><p>Bonjour&nbsp;&amp; <b>salut</b></p>'.repeat(20000)),
    part('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64', b64(latin1)),
    part('Content-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: base64', b64(sjis)),
    part('Content-Type: text/plain; charset=utf-7', utf7.toString('latin1')),
    part('Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64', b64(utf16)),
    part('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable', utf8Text(30000).replace(/[^\x20-\x7e\r\n]/g, '=E2=82=AC')),
    part('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64', b64(attachment)),
  ));
  // The same text parts one by one, each alone past the bound.
  assertSameModel('shift_jis', Buffer.from(HEAD + 'Content-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + sjis.toString('latin1'), 'latin1'));
  assertSameModel('utf-7', Buffer.from(HEAD + 'Content-Type: text/plain; charset=utf-7\r\n\r\n' + utf7.toString('latin1'), 'latin1'));
});

test('base64 bodies are measured as decoding them measures them, well-formed or not', () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) & 255));
  const bodies = [
    b64(data),
    b64(data.subarray(1)),
    b64(data.subarray(2)),
    b64(data) + '\r\n\r\n',
    '',
    'QQ',
    'QUI=',
    'QUJD\r\nRA==\r\n',
    'QUJD\r\n=\r\nREVG', // padding in the middle
    'QU JD\r\nREVG', // a space
    'QUJD-_\r\n', // URL-safe characters
    'QUJD*#!\r\nREVG', // garbage
    'QUJD\nREVG\rR0g', // bare line ends
    b64(data).replace(/\r\n/g, '=\r\n'), // every line padded
    'Q',
    'QUJDRA=QUJD',
  ];
  assertSameModel('base64 bodies', multipart(...bodies.map((b) => part('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64', b))));
});
