// Pure helpers behind ENVELOPE, SORT and THREAD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toEnvelopeAddresses as parseAddressList } from '../../src/mime/addresses.js';
import { baseSubject } from '../../src/mime/subject.js';
import { findPart } from '../../src/imap/fetch/section.js';
import { parseSection } from '../../src/imap/fetch/items.js';
import { parseStructure } from '../../src/mime/structure.js';
import { sectionBytes } from '../../src/imap/fetch/section.js';

test('address lists: groups, route-addrs, comment names and comments inside addr-specs', () => {
  assert.deepEqual(parseAddressList('group: g1@d1.org, g2@d2.org;, group2: (foo) ;'), [
    { name: null, adl: null, mailbox: 'group', host: null },
    { name: null, adl: null, mailbox: 'g1', host: 'd1.org' },
    { name: null, adl: null, mailbox: 'g2', host: 'd2.org' },
    { name: null, adl: null, mailbox: null, host: null },
    { name: null, adl: null, mailbox: 'group2', host: null },
    { name: null, adl: null, mailbox: null, host: null },
  ]);
  assert.deepEqual(parseAddressList('<@route:user@domain>'), [{ name: null, adl: '@route', mailbox: 'user', host: 'domain' }]);
  assert.deepEqual(parseAddressList('user@domain (Real Name)'), [{ name: 'Real Name', adl: null, mailbox: 'user', host: 'domain' }]);
  assert.deepEqual(parseAddressList('<user-from (comment)@ (comment) domain.org>'), [{ name: null, adl: null, mailbox: 'user-from', host: 'domain.org' }]);
  assert.deepEqual(parseAddressList('"Doe, John" <j@x.org>, k@y.org'), [
    { name: 'Doe, John', adl: null, mailbox: 'j', host: 'x.org' },
    { name: null, adl: null, mailbox: 'k', host: 'y.org' },
  ]);
  assert.equal(parseAddressList(''), null);
});

test('RFC 5256 base subject removes reply/forward markers, blobs and trailers', () => {
  assert.equal(baseSubject('[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)'), 'b');
  assert.equal(baseSubject('Re: [FWD: c]'), 'c');
  assert.equal(baseSubject('re: [fwd: [fwd: re: [fwd: babylon]]]'), 'babylon');
  assert.equal(baseSubject('[xyz]'), '[xyz]');
  assert.equal(baseSubject('Ad: Re: Ad: x'), 'Ad: Re: Ad: x');
  assert.equal(baseSubject('=?us-ascii?b?UmU6IGM=?='), 'c');
});

test('section numbers: a non-multipart body is part 1; HEADER of an embedded message', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n',
  );
  const root = parseStructure(raw).body;
  assert.equal(findPart(root, [1])?.subtype, 'plain');
  assert.equal(findPart(root, [3]), null);
  assert.equal(sectionBytes(raw, root, parseSection('1', false), false)?.toString(), 'hello');
  assert.equal(sectionBytes(raw, root, parseSection('2.HEADER', false), false)?.toString(), 'Subject: inner\r\n\r\n');
  assert.equal(sectionBytes(raw, root, parseSection('2.1', false), false)?.toString(), 'inner body');
  assert.equal(sectionBytes(raw, root, parseSection('1.MIME', false), false)?.toString(), 'Content-Type: text/plain\r\n\r\n');
  assert.equal(sectionBytes(raw, root, parseSection('HEADER.FIELDS (CONTENT-TYPE)', false), false)?.toString(), 'Content-Type: multipart/mixed; boundary=b\r\n\r\n');
});
