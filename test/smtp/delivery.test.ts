// The delivery core on its own, as JMAP EmailSubmission uses it: routing, local + queued outcomes,
// submitter metadata on the queue item, the Received header, and the DSN format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DOMAIN, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { buildDsn } from '../../src/delivery/dsn.js';
import { receivedHeader } from '../../src/delivery/received.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
let h: SmtpHarness;
before(async () => {
  h = await startHarness({ startWorker: false });
});
after(async () => {
  await h.close();
});

test('route: local user (canonical name), unknown local user, remote domain', async () => {
  assert.deepEqual(await h.core.service.route('BOB@Example.Test'), { kind: 'local', address: 'BOB@example.test', user: BOB });
  assert.deepEqual(await h.core.service.route(`ghost@${DOMAIN}`), { kind: 'unknown', address: `ghost@${DOMAIN}` });
  assert.deepEqual(await h.core.service.route('x@Remote.Example'), { kind: 'remote', address: 'x@Remote.Example', domain: 'remote.example' });
});

test('submit (JMAP EmailSubmission): local copy stored, remote queued with metadata, unknown reported', async () => {
  const result = await h.core.service.submit({
    from: ALICE,
    to: [BOB, 'far@remote.example', `ghost@${DOMAIN}`],
    bytes: Buffer.from('Subject: submitted\r\n\r\nvia jmap\r\n'),
    principal: { user: ALICE, mechanism: 'BEARER' },
    meta: { identityId: 'i1', emailId: 'e1' },
  });
  const byAddress = new Map(result.outcomes.map((o) => [o.address, o]));
  assert.equal(byAddress.get(BOB)?.status, 'delivered');
  assert.equal(byAddress.get('far@remote.example')?.status, 'queued');
  assert.equal(byAddress.get(`ghost@${DOMAIN}`)?.status, 'failed');
  const item = await h.store.getOutbound(result.queueId!);
  assert.equal(item?.account, ALICE);
  assert.deepEqual((item?.meta as { submitter: unknown }).submitter, { identityId: 'i1', emailId: 'e1' });
  const stored = (await inboxMessages(h.store, BOB)).find((m) => m.includes('Subject: submitted'))!;
  assert.match(stored, /^Return-Path: <alice@example\.test>\r\nReceived: from mx\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Tessera\) with HTTPSA id /);
});

test('Received header: IPv6 literal, single recipient, no control characters', () => {
  const header = receivedHeader({ helo: 'evil\r\nX-Injected: 1', peerAddress: '::1', protocol: 'ESMTPS', by: 'mx.example' }, 'ABC', new Date('2026-01-02T03:04:05Z'), 'a@b.c');
  assert.equal(header, 'Received: from evil??X-Injected: 1 ([IPv6:::1])\r\n\tby mx.example (Tessera) with ESMTPS id ABC\r\n\tfor <a@b.c>;\r\n\tFri, 02 Jan 2026 03:04:05 +0000\r\n');
});

test('DSN: RFC 3464 structure with the original headers only', () => {
  const dsn = buildDsn({
    reportingHost: 'mx.example',
    originalSender: 'a@b.c',
    recipients: [{ address: 'x@y.z', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 no such user', remoteMta: 'mx.y.z' }],
    original: Buffer.from('Subject: hi\r\nFrom: a@b.c\r\n\r\nSECRET BODY\r\n'),
    arrivalDate: new Date(0),
    now: new Date(0),
  }).toString();
  const boundary = /boundary="([^"]+)"/.exec(dsn)![1]!;
  assert.equal(dsn.split(`--${boundary}\r\n`).length, 4);
  assert.ok(dsn.endsWith(`--${boundary}--\r\n`));
  assert.match(dsn, /Content-Type: message\/delivery-status\r\n\r\nReporting-MTA: dns; mx\.example\r\n/);
  assert.match(dsn, /Final-Recipient: rfc822; x@y\.z\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.y\.z\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user\r\n/);
  assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: a@b\.c\r\n/);
  assert.doesNotMatch(dsn, /SECRET BODY/);
});
