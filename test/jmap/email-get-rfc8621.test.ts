// Email/get against RFC 8621 §4.1: body values in LF form (§4.1.4), truncation on that form, header
// text in NFC (§4.1.2.2), and the textBody/htmlBody/attachments lists of the §4.1.4 algorithm for
// real messages of each example structure, over HTTP against the real store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
let h: Harness;
let ALICE_ID: string;
let inbox: string;

type Args = Record<string, unknown>;
interface BodyValue {
  value: string;
  isTruncated: boolean;
  isEncodingProblem: boolean;
}
interface Part {
  partId: string;
  type: string;
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ALICE_ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());

/** Appends raw lines (joined with CRLF) and returns the email id. */
async function append(lines: string[]): Promise<string> {
  return (await h.store.append(ALICE, { mailboxIds: [inbox], bytes: Buffer.from(lines.join('\r\n')) })).emailId;
}

async function getEmail(id: string, args: Args): Promise<Args> {
  const [[name, res]] = (await call(h, [['Email/get', { accountId: ALICE_ID, ids: [id], ...args }, 'g']])) as Array<[string, Args, string]>;
  assert.equal(name, 'Email/get', JSON.stringify(res));
  return (res.list as Args[])[0]!;
}

const HEAD = ['From: Bob <bob@example.com>', 'To: alice@example.com', 'Subject: Structure', 'Date: Tue, 03 Nov 2026 10:00:00 +0100', 'MIME-Version: 1.0'];

/** A MIME entity: headers, blank line, body lines. */
function entity(headers: string[], body: string[]): string[] {
  return [...headers, '', ...body];
}

/** A multipart entity whose children are the given entities. */
function multipart(subtype: string, boundary: string, children: string[][], headers: string[] = []): string[] {
  const out = [`Content-Type: multipart/${subtype}; boundary="${boundary}"`, ...headers, ''];
  for (const child of children) out.push(`--${boundary}`, ...child);
  out.push(`--${boundary}--`, '');
  return out;
}

test('RFC 8621 §4.1.4 bodyValues: "with any CRLF replaced with a single LF", for plain, quoted-printable and base64 parts', async () => {
  const id = await append([
    ...HEAD,
    ...multipart('mixed', 'b1', [
      entity(['Content-Type: text/plain; charset=utf-8'], ['line one', 'line two', '']),
      entity(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', 'Content-Disposition: inline'], ['caf=C3=A9=0D=0Anext', '']),
      entity(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', 'Content-Disposition: inline'], [Buffer.from('<p>a</p>\r\n<p>b</p>\r\n').toString('base64')]),
    ]),
  ]);
  const email = await getEmail(id, { properties: ['bodyValues'], fetchAllBodyValues: true });
  const values = Object.values(email.bodyValues as Record<string, BodyValue>).map((v) => v.value);
  assert.deepEqual(values, ['line one\nline two\n', 'café\nnext\n', '<p>a</p>\n<p>b</p>\n']);
  for (const v of values) assert.ok(!v.includes('\r'), JSON.stringify(v));
});

test('RFC 8621 §4.2 maxBodyValueBytes counts octets of the LF form and never cuts a UTF-8 sequence or an HTML tag', async () => {
  const id = await append([
    ...HEAD,
    ...multipart('alternative', 'b2', [
      // "é\r\né" is 5 octets once CRLF is LF: é(2) LF(1) é(2).
      entity(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], ['=C3=A9', '=C3=A9']),
      entity(['Content-Type: text/html; charset=utf-8'], ['<p>Hi <a href="https://example.com/">x</a></p>']),
    ]),
  ]);
  const valuesAt = async (max: number): Promise<BodyValue[]> =>
    Object.values((await getEmail(id, { properties: ['bodyValues'], fetchAllBodyValues: true, maxBodyValueBytes: max })).bodyValues as Record<string, BodyValue>);
  const [text3, html15] = [(await valuesAt(3))[0]!, (await valuesAt(15))[1]!];
  assert.deepEqual([text3.value, text3.isTruncated], ['é\n', true]);
  const text4 = (await valuesAt(4))[0]!;
  assert.deepEqual([text4.value, text4.isTruncated], ['é\n', true], 'the second é does not fit whole in 4 octets');
  const text5 = (await valuesAt(5))[0]!;
  assert.deepEqual([text5.value, text5.isTruncated], ['é\né', false], 'exactly 5 octets in LF form: nothing cut');
  assert.deepEqual([html15.value, html15.isTruncated], ['<p>Hi ', true], 'the cut fell inside <a href=…>');
  const html6 = (await valuesAt(6))[1]!;
  assert.equal(html6.value, '<p>Hi ');
});

test('RFC 8621 §4.1.2.2 Text form: "The resulting unicode converted to NFC form" for header:X:asText, subject and address names', async () => {
  const decomposedCafe = 'Cafe\u0301';
  assert.notEqual(decomposedCafe, decomposedCafe.normalize('NFC'));
  const id = await append([
    'From: =?UTF-8?Q?Jose=CC=81?= <jose@example.com>',
    'To: alice@example.com',
    `Subject: ${decomposedCafe} au lait`,
    'X-Encoded: =?UTF-8?Q?Cafe=CC=81?=',
    'Date: Tue, 03 Nov 2026 10:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'body',
    '',
  ]);
  const email = await getEmail(id, {
    properties: ['subject', 'from', 'header:Subject:asText', 'header:X-Encoded:asText', 'header:X-Encoded', 'header:From:asGroupedAddresses'],
  });
  assert.equal(email.subject, 'Caf\u00e9 au lait');
  assert.equal(email['header:Subject:asText'], 'Caf\u00e9 au lait');
  assert.equal(email['header:X-Encoded:asText'], 'Caf\u00e9');
  assert.equal(email['header:X-Encoded'], ' =?UTF-8?Q?Cafe=CC=81?=', 'the Raw form is the raw value, untouched');
  assert.deepEqual(email.from, [{ name: 'Jos\u00e9', email: 'jose@example.com' }]);
  assert.deepEqual(email['header:From:asGroupedAddresses'], [{ name: null, addresses: [{ name: 'Jos\u00e9', email: 'jose@example.com' }] }]);
});

/** textBody/htmlBody/attachments of a message, as the Content-Description label of each part. */
async function lists(lines: string[]): Promise<Record<'textBody' | 'htmlBody' | 'attachments', string[]>> {
  const id = await append(lines);
  const email = await getEmail(id, { properties: ['textBody', 'htmlBody', 'attachments'], bodyProperties: ['partId', 'type', 'header:Content-Description:asText'] });
  const label = (list: unknown): string[] => (list as Array<Part & Record<string, string>>).map((p) => p['header:Content-Description:asText'] ?? `?${p.type}`);
  return { textBody: label(email.textBody), htmlBody: label(email.htmlBody), attachments: label(email.attachments) };
}

/** A leaf part labelled by Content-Description, so lists can be compared by label. */
function leaf(label: string, type: string, extra: string[] = [], body = `part ${label}`): string[] {
  return entity([`Content-Type: ${type}`, `Content-Description: ${label}`, ...extra], [body]);
}

test('RFC 8621 §4.1.4 example: mailing-list header/footer around alternative(mixed text+image, related html+image), then attachments and message/rfc822', async () => {
  const inline = ['Content-Disposition: inline'];
  const embedded = entity(['Content-Type: message/rfc822', 'Content-Description: J'], ['From: x@example.com', 'Subject: inner', '', 'inner body']);
  const got = await lists([
    ...HEAD,
    ...multipart('mixed', 'o', [
      leaf('A', 'text/plain', inline),
      multipart('mixed', 'm', [
        multipart('alternative', 'alt', [
          multipart('mixed', 'mm', [leaf('B', 'text/plain', inline), leaf('C', 'image/jpeg', inline, 'AAAA'), leaf('D', 'text/plain', inline)]),
          multipart('related', 'rel', [leaf('E', 'text/html', [], '<p>E</p>'), leaf('F', 'image/jpeg', [], 'AAAA')]),
        ]),
        leaf('G', 'image/jpeg', ['Content-Disposition: attachment'], 'AAAA'),
        leaf('H', 'application/x-excel'),
        embedded,
      ]),
      leaf('K', 'text/plain', inline),
    ]),
  ]);
  // The decomposition RFC 8621 §4.1.4 gives for this structure.
  assert.deepEqual(got.textBody, ['A', 'B', 'C', 'D', 'K']);
  assert.deepEqual(got.htmlBody, ['A', 'E', 'K']);
  assert.deepEqual(got.attachments, ['C', 'F', 'G', 'H', 'J']);
});

test('RFC 8621 §4.1.4: multipart/alternative inside multipart/mixed with an attachment', async () => {
  const got = await lists([
    ...HEAD,
    ...multipart('mixed', 'o', [
      multipart('alternative', 'a', [leaf('T', 'text/plain'), leaf('H', 'text/html', [], '<p>H</p>')]),
      leaf('P', 'application/pdf', ['Content-Disposition: attachment; filename="r.pdf"']),
    ]),
  ]);
  assert.deepEqual(got, { textBody: ['T'], htmlBody: ['H'], attachments: ['P'] });
});

test('RFC 8621 §4.1.4: multipart/related html with cid images: only the first part is a body, the images are attachments', async () => {
  const got = await lists([
    ...HEAD,
    ...multipart('related', 'r', [
      leaf('H', 'text/html', [], '<img src="cid:i1">'),
      leaf('I1', 'image/png', ['Content-ID: <i1>'], 'AAAA'),
      leaf('I2', 'image/png', ['Content-ID: <i2>', 'Content-Disposition: inline'], 'AAAA'),
    ]),
  ]);
  // No alternative: the html part is both lists' body; images after the first part of related are not inline.
  assert.deepEqual(got, { textBody: ['H'], htmlBody: ['H'], attachments: ['I1', 'I2'] });
});

test('RFC 8621 §4.1.4: inline images in multipart/mixed are body parts in both lists and not attachments', async () => {
  const got = await lists([
    ...HEAD,
    ...multipart('mixed', 'm', [leaf('T1', 'text/plain'), leaf('IMG', 'image/gif', ['Content-Disposition: inline'], 'AAAA'), leaf('T2', 'text/plain')]),
  ]);
  assert.deepEqual(got, { textBody: ['T1', 'IMG', 'T2'], htmlBody: ['T1', 'IMG', 'T2'], attachments: [] });
});

test('RFC 8621 §4.1.4: an html-only or text-only alternative fills the other list from it', async () => {
  const htmlOnly = await lists([...HEAD, ...multipart('mixed', 'm', [multipart('alternative', 'a', [leaf('H', 'text/html', [], '<b>H</b>')])])]);
  assert.deepEqual(htmlOnly, { textBody: ['H'], htmlBody: ['H'], attachments: [] });
  const textOnly = await lists([...HEAD, ...multipart('alternative', 'a', [leaf('T', 'text/plain')])]);
  assert.deepEqual(textOnly, { textBody: ['T'], htmlBody: ['T'], attachments: [] });
});

test('RFC 8621 §4.1.4: a named text part after the first is an attachment; message/rfc822 is an attachment, not recursed into', async () => {
  const got = await lists([
    ...HEAD,
    ...multipart('mixed', 'm', [
      leaf('T', 'text/plain'),
      leaf('N', 'text/plain; name="notes.txt"'),
      entity(['Content-Type: message/rfc822', 'Content-Description: M'], ['Subject: inner', 'Content-Type: text/plain', '', 'inner']),
    ]),
  ]);
  assert.deepEqual(got, { textBody: ['T'], htmlBody: ['T'], attachments: ['N', 'M'] });
});

test('RFC 8621 §4.1.4: a part with Content-Disposition attachment is never a body part, even text/plain first in the message', async () => {
  const got = await lists([...HEAD, ...multipart('mixed', 'm', [leaf('A', 'text/plain', ['Content-Disposition: attachment']), leaf('T', 'text/plain')])]);
  assert.deepEqual(got, { textBody: ['T'], htmlBody: ['T'], attachments: ['A'] });
});
