// Parsed header forms (RFC 8621 §4.1.2) and the textBody/htmlBody/attachments algorithm (§4.1.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asDate, asMessageIds, asText, asURLs, formAllowed, parseHeaderProperty } from '../../src/jmap/mail/header-forms.js';
import { bodyLists } from '../../src/jmap/mail/body-structure.js';
import { decodeCharset, decodeQuotedPrintable } from '../../src/mime/decode.js';
import { truncateUtf8 } from '../../src/jmap/mail/truncate.js';
import type { MimePart } from '../../src/store/types.js';

test('asText unfolds, decodes encoded words and trims', () => {
  assert.equal(asText(' =?UTF-8?Q?Caf=C3=A9?=\r\n  au lait '), 'Café  au lait');
});

test('asDate keeps the offset and handles named zones; garbage is null', () => {
  assert.equal(asDate(' Tue, 3 Nov 2026 10:00:00 -0500 (EST)'), '2026-11-03T10:00:00-05:00');
  assert.equal(asDate('3 Nov 26 10:00 GMT'), '2026-11-03T10:00:00Z');
  assert.equal(asDate('yesterday'), null);
});

test('asMessageIds and asURLs', () => {
  assert.deepEqual(asMessageIds(' <a@b>\r\n <c@d> (comment)'), ['a@b', 'c@d']);
  assert.equal(asMessageIds('not-an-id'), null);
  assert.deepEqual(asURLs('<mailto:list@example.com>, <https://example.com/u?x=1>'), ['mailto:list@example.com', 'https://example.com/u?x=1']);
  assert.equal(asURLs('none'), null);
});

test('header property names and the forms each header allows', () => {
  assert.deepEqual(parseHeaderProperty('header:List-Post:asURLs:all'), { name: 'List-Post', form: 'URLs', all: true });
  assert.deepEqual(parseHeaderProperty('header:X-Foo'), { name: 'X-Foo', form: 'Raw', all: false });
  assert.equal(parseHeaderProperty('header:X-Foo:asNothing'), undefined);
  assert.equal(parseHeaderProperty('subject'), undefined);
  assert.equal(formAllowed('Subject', 'Addresses'), false);
  assert.equal(formAllowed('From', 'Addresses'), true);
  assert.equal(formAllowed('X-Custom', 'Date'), true);
});

test('decoding helpers: quoted-printable, charsets, UTF-8 truncation', () => {
  assert.equal(decodeQuotedPrintable(Buffer.from('caf=C3=A9 =\r\nsoft')).toString(), 'café soft');
  assert.deepEqual(decodeCharset(Buffer.from([0xe9]), 'iso-8859-1'), { text: 'é', isEncodingProblem: false });
  assert.equal(decodeCharset(Buffer.from([0xff, 0xfe, 0x41]), 'utf-8').isEncodingProblem, true);
  assert.equal(decodeCharset(Buffer.from('x'), 'x-unknown-charset').isEncodingProblem, true);
  assert.deepEqual(truncateUtf8('aé☃', 4), { value: 'aé', truncated: true });
});

function part(partId: string, type: string, subtype: string, extra: Partial<MimePart> = {}): MimePart {
  return {
    partId, headerStart: 0, bodyStart: 0, end: 0, type, subtype, params: {}, contentId: null, description: null, encoding: '7bit',
    size: 0, lines: null, md5: null, disposition: null, language: null, location: null, headers: [], children: [], message: null, ...extra,
  };
}

test('RFC 8621 §4.1.4: alternative text/html, related inline image, attachment', () => {
  const text = part('1.1', 'text', 'plain');
  const html = part('1.2.1', 'text', 'html');
  const image = part('1.2.2', 'image', 'png', { params: { name: 'logo.png' } });
  const pdf = part('2', 'application', 'pdf', { disposition: { type: 'attachment', params: { filename: 'a.pdf' } } });
  const root = part('', 'multipart', 'mixed', {
    children: [
      part('1', 'multipart', 'alternative', { children: [text, part('1.2', 'multipart', 'related', { children: [html, image] })] }),
      pdf,
    ],
  });
  const lists = bodyLists(root);
  assert.deepEqual(lists.textBody.map((p) => p.partId), ['1.1']);
  assert.deepEqual(lists.htmlBody.map((p) => p.partId), ['1.2.1']);
  assert.deepEqual(lists.attachments.map((p) => p.partId), ['1.2.2', '2']);
});

test('RFC 8621 §4.1.4: a lone text/plain is both textBody and htmlBody', () => {
  const only = part('1', 'text', 'plain');
  const lists = bodyLists(only);
  assert.deepEqual(lists.textBody, [only]);
  assert.deepEqual(lists.htmlBody, [only]);
  assert.deepEqual(lists.attachments, []);
});
