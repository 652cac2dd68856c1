// RFC 5228 base language and the examples of its extensions (one describe per RFC), run through the
// executor against test/sieve/run.ts's sample message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actions, run, SAMPLE } from './run.js';

describe('RFC 5228 base', () => {
  it('files, keeps and falls back to implicit keep', async () => {
    assert.deepEqual(await actions('require "fileinto"; if header :contains "subject" "acme" { fileinto "lists"; }'), ['fileinto:lists']);
    assert.deepEqual(await actions('if header :is "subject" "nope" { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('discard;'), ['discard']);
    assert.deepEqual(await actions('keep; keep;'), ['keep']);
    assert.deepEqual(await actions('redirect "x@example.net"; redirect "X@example.net";'), ['redirect:x@example.net']);
  });

  it('runs the §9 example script', async () => {
    const script = `require ["fileinto"];
if header :is "Sender" "owner-ietf-mta-filters@imc.org" { fileinto "filter"; }
elsif address :DOMAIN :is ["From", "To"] "example.com" { keep; }
elsif anyof (NOT address :all :contains ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject" ["*make*money*fast*", "*university*dipl*mas*"]) { fileinto "spam"; }
else { fileinto "personal"; }`;
    assert.deepEqual(await actions(script), ['fileinto:spam']);
    const mine = SAMPLE.replace('To: foo@example.com.invalid', 'To: me@example.com');
    assert.deepEqual(await actions(script, mine), ['keep']);
    const personal = SAMPLE.replace('To: foo@example.com.invalid, baz@example.com.invalid', 'To: someone@example.net');
    assert.deepEqual(await actions(script, personal.replace('Cc: qux@example.com.invalid', 'Cc: me@example.com')), ['fileinto:personal']);
  });

  it('address parts, exists, size, true/false, stop, comparators', async () => {
    assert.deepEqual(await actions('if address :localpart :is "from" "bar" { discard; }'), ['discard']);
    assert.deepEqual(await actions('if address :domain :is "to" "EXAMPLE.com.invalid" { discard; }'), ['discard']);
    assert.deepEqual(await actions('if address :domain :comparator "i;octet" :is "to" "EXAMPLE.com.invalid" { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('if exists ["From", "Date"] { discard; }'), ['discard']);
    assert.deepEqual(await actions('if exists ["From", "X-Nope"] { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('if size :over 100 { discard; }'), ['discard']);
    assert.deepEqual(await actions('if size :under 1K { discard; }'), ['discard']);
    assert.deepEqual(await actions('if false { discard; } stop; discard;'), ['implicit-keep']);
    assert.deepEqual(await actions('if header :contains "received" "client.example.org" { discard; }'), ['discard']);
    assert.deepEqual(await actions('if header :matches "subject" "*version ?.0*" { discard; }'), ['discard']);
    assert.deepEqual(await actions('if header :matches "subject" "version*" { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('if header :matches "subject" "\\\\[acme*" { discard; }'), ['discard']);
  });

  it('envelope (RFC 5228 §5.4) including the null sender', async () => {
    assert.deepEqual(await actions('require "envelope"; if envelope :all :is "from" "bar@example.com.invalid" { discard; }'), ['discard']);
    assert.deepEqual(await actions('require "envelope"; if envelope :is "from" "" { discard; }', SAMPLE, { envelope: { from: '', to: 'a@b' } }), ['discard']);
    assert.deepEqual(await actions('require "envelope"; if envelope :domain :is "to" "b.example" { discard; }', SAMPLE, { envelope: { from: '', to: 'a@b.example' } }), ['discard']);
  });

  it('decodes RFC 2047 header words before comparing', async () => {
    const msg = SAMPLE.replace('Subject: [acme-users] [fwd] version 1.0 is out', 'Subject: =?utf-8?q?caf=C3=A9?=');
    assert.deepEqual(await actions('if header :is "subject" "café" { discard; }', msg), ['discard']);
  });

  it('encoded-character strings (RFC 5228 §2.4.2.4)', async () => {
    assert.deepEqual(await actions('require ["encoded-character", "fileinto"]; fileinto "$${hex:24 24}";'), ['fileinto:$$$']);
    assert.deepEqual(await actions('require ["encoded-character", "fileinto"]; fileinto "${UNICODE:40}${Unicode:40 40}";'), ['fileinto:@@@']);
    assert.deepEqual(await actions('require ["encoded-character", "fileinto"]; fileinto "${ unicode:40}";'), ['fileinto:${ unicode:40}']);
  });
});
