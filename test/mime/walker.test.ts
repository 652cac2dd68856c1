// The MIME walker: IMAP section numbering, byte offsets, envelope rules and base subjects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/mime/parse.js';
import { baseSubject, subjectSortKey } from '../../src/mime/subject.js';
import type { MimePart } from '../../src/store/types.js';
import { MAX_DEPTH, MAX_PARTS } from '../../src/mime/structure.js';
import { deepMessages, deepNesting, manyParts } from '../support/hostile-messages.js';

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

describe('structure bounds (parse time, as Dovecot)', () => {
  const count = (part: MimePart): number =>
    1 + part.children.reduce((n, c) => n + count(c), 0) + (part.message ? count(part.message.body) : 0);

  it('a multipart with more than MAX_PARTS parts keeps MAX_PARTS of them and one opaque part for the rest', () => {
    const bytes = manyParts(5000);
    const { parsed } = parseMessage(bytes);
    assert.equal(parsed.degraded, true);
    assert.ok(count(parsed.body) <= MAX_PARTS + 1, `${count(parsed.body)} parts`);
    const last = parsed.body.children.at(-1)!;
    assert.equal(last.partId, String(parsed.body.children.length));
    assert.equal(last.type, 'text');
    const rest = bytes.subarray(last.bodyStart, last.end).toString('latin1');
    assert.ok(rest.startsWith('Content-Type: text/plain\r\n\r\npart 1999\r\n--b'), rest.slice(0, 60));
    assert.ok(rest.endsWith('part 4999'), rest.slice(-60));
  });

  it('nesting deeper than MAX_DEPTH ends in one text/plain part holding the deeper levels', () => {
    const { parsed } = parseMessage(deepNesting(5000));
    let part = parsed.body;
    let depth = 0;
    while (part.type === 'multipart') {
      assert.equal(part.children.length, 1);
      part = part.children[0]!;
      depth++;
    }
    assert.equal(depth, MAX_DEPTH);
    assert.equal(part.type, 'text');
    assert.equal(part.partId, Array(MAX_DEPTH).fill('1').join('.'));
  });

  it('embedded messages nested deeper than MAX_DEPTH end in one text/plain part, not a message/rfc822 without a message', () => {
    const bytes = deepMessages(100);
    const { parsed } = parseMessage(bytes);
    assert.equal(parsed.degraded, true);
    let part = parsed.body;
    let depth = 0;
    while (part.message) {
      assert.equal(part.type, 'message');
      part = part.message.body;
      depth++;
    }
    assert.equal(depth, MAX_DEPTH);
    assert.deepEqual([part.type, part.subtype], ['text', 'plain']);
    const rest = bytes.subarray(part.bodyStart, part.end).toString('latin1');
    assert.ok(rest.startsWith(`Subject: level ${MAX_DEPTH + 1}\r\nContent-Type: message/rfc822\r\n`), rest.slice(0, 60));
  });

  it('an embedded message past MAX_PARTS is one text/plain part', () => {
    const lines = ['From: a@example.org\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'];
    for (let i = 0; i < MAX_PARTS - 2; i++) lines.push(`--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`);
    lines.push('--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner\r\n--b--\r\n');
    const { parsed } = parseMessage(Buffer.from(lines.join('')));
    const last = parsed.body.children.at(-1)!;
    assert.equal(last.partId, String(MAX_PARTS - 1));
    assert.deepEqual([last.type, last.subtype, last.message], ['text', 'plain', null]);
  });
});
