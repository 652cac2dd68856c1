// The MIME walker: IMAP section numbering, byte offsets, envelope rules and base subjects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/mime/parse.js';
import { baseSubject, subjectSortKey } from '../../src/mime/subject.js';
import type { MimePart } from '../../src/store/types.js';

const NESTED = Buffer.from(
  [
    'From: a@example.org',
    'Reply-To: Group: x@example.org, y@example.org;',
    'Subject: nested',
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    '--outer',
    'Content-Type: text/plain',
    '',
    'first',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    'From: <@hop.example:inner@example.net> (Inner Person), bare',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain',
    '',
    'plain',
    '--inner',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--inner--',
    '--outer--',
    '',
  ].join('\r\n'),
);

function ids(part: MimePart, out: string[] = []): string[] {
  out.push(`${part.partId}:${part.type}/${part.subtype}`);
  for (const c of part.children) ids(c, out);
  if (part.message) ids(part.message.body, out);
  return out;
}

describe('MIME parsing', () => {
  it('numbers parts as IMAP does and records byte offsets', () => {
    const { parsed } = parseMessage(NESTED);
    assert.deepEqual(ids(parsed.body), [
      ':multipart/mixed',
      '1:text/plain',
      '2:message/rfc822',
      '2:multipart/alternative',
      '2.1:text/plain',
      '2.2:text/html',
    ]);
    const inner = parsed.body.children[1]!;
    assert.equal(NESTED.subarray(inner.bodyStart, inner.end).toString().split('\r\n')[0], 'Subject: inner');
    const html = inner.message!.body.children[1]!;
    assert.equal(NESTED.subarray(html.bodyStart, html.end).toString(), '<p>html</p>');
    assert.equal(NESTED.subarray(html.headerStart, html.bodyStart).toString(), 'Content-Type: text/html\r\n\r\n');
    assert.equal(inner.message!.envelope.subject, 'inner');
    assert.equal(parsed.body.children[0]!.lines, 1);
  });

  it('defaults sender and reply-to to from, and marks groups as RFC 3501 requires', () => {
    const { parsed } = parseMessage(NESTED);
    assert.deepEqual(parsed.envelope.sender, parsed.envelope.from);
    assert.deepEqual(parsed.envelope.replyTo, [
      { name: null, adl: null, mailbox: 'Group', host: null },
      { name: null, adl: null, mailbox: 'x', host: 'example.org' },
      { name: null, adl: null, mailbox: 'y', host: 'example.org' },
      { name: null, adl: null, mailbox: null, host: null },
    ]);
    assert.equal(parsed.preview, 'first');
  });

  it('derives RFC 5256 base subjects (case kept) and their i;ascii-casemap sort keys', () => {
    assert.equal(baseSubject('Re: Fwd: [list] RE: Hello (fwd)'), 'Hello');
    assert.equal(baseSubject('[Fwd: Re: Status]'), 'Status');
    assert.equal(baseSubject('=?utf-8?q?Re=3A_Caf=C3=A9?='), 'Café');
    assert.equal(baseSubject(null), '');
    assert.equal(subjectSortKey('Re: Fwd: [list] RE: Hello (fwd)'), 'HELLO');
    assert.equal(subjectSortKey('=?utf-8?q?Re=3A_Caf=C3=A9?='), 'CAFé');
    assert.equal(subjectSortKey('re: hello'), subjectSortKey('Hello'));
  });
});

it('an embedded message/rfc822 gets its envelope from the same address parser as the message', () => {
  const embedded = parseMessage(NESTED).parsed.body.children[1]!.message!;
  assert.deepEqual(embedded.envelope.from, [
    { name: null, adl: '@hop.example', mailbox: 'inner', host: 'example.net' },
    { name: null, adl: null, mailbox: 'bare', host: 'MISSING_DOMAIN' },
  ]);
  assert.deepEqual(embedded.envelope.sender, embedded.envelope.from);
});

it('leaf parts record their size after the transfer encoding is undone', () => {
  const payload = Buffer.alloc(1000, 0xab);
  const qp = 'caf=C3=A9 =\r\nsoft break\r\n';
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
      '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      payload.toString('base64').replace(/.{76}/g, '$&\r\n') +
      '\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
      qp +
      '--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b--\r\n',
  );
  const [b64, quoted, plain] = parseMessage(raw).parsed.body.children;
  assert.equal(b64!.decodedSize, 1000);
  // The CRLF before a boundary belongs to the boundary, and `=CRLF` is a soft line break.
  assert.equal(quoted!.decodedSize, Buffer.from('café soft break').length);
  assert.equal(plain!.decodedSize, plain!.size);
});
