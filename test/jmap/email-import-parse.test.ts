// Email/import (RFC 8621 §4.8) and Email/parse (§4.9), clause by clause: the receivedAt default,
// UTCDate strictness, the created objects' properties, and the parse response's null lists and
// null metadata.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, type Call, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
let h: Harness;
let ID: string;
let inbox: string;

async function calls(c: Call[]): Promise<any[]> {
  return (await call(h, c)) as any[];
}
async function upload(bytes: Buffer | string): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'message/rfc822' }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}
async function importOne(blobId: string, extra: Record<string, unknown> = {}): Promise<any> {
  const [[, r]] = await calls([['Email/import', { accountId: ID, emails: { i: { blobId, mailboxIds: { [inbox]: true }, ...extra } } }, 'i']]);
  return r;
}
async function receivedAtOf(emailId: string): Promise<string> {
  const [[, r]] = await calls([['Email/get', { accountId: ID, ids: [emailId], properties: ['receivedAt'] }, 'g']]);
  return r.list[0].receivedAt;
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());

test('RFC 8621 §4.8: receivedAt defaults to the date of the most recent (topmost) Received header', async () => {
  const extra = [
    'Received: from relay.example.net by mx.example.com; Wed, 04 Nov 2026 09:15:30 +0100',
    'Received: from client.example.org by relay.example.net;\r\n Tue, 03 Nov 2026 23:00:00 -0500',
  ].join('\r\n');
  const r = await importOne(await upload(Buffer.concat([Buffer.from(extra + '\r\n'), message({ subject: 'relayed' })])));
  assert.equal(await receivedAtOf(r.created.i.id), '2026-11-04T08:15:30Z');
});

test('RFC 8621 §4.8: without a Received header receivedAt is the time of import; a given receivedAt wins', async () => {
  const before = Date.now() - 1000;
  const r = await importOne(await upload(message({ subject: 'no trace' })));
  const at = Date.parse(await receivedAtOf(r.created.i.id));
  assert.ok(at >= before && at <= Date.now() + 1000, `receivedAt ${at} is the import time`);
  const given = await importOne(await upload(message({ subject: 'given', extra: 'Received: by x; Wed, 04 Nov 2026 09:15:30 +0100' })), { receivedAt: '2025-01-02T03:04:05Z' });
  assert.equal(await receivedAtOf(given.created.i.id), '2025-01-02T03:04:05Z');
});

test('RFC 8620 §1.4 / RFC 8621 §4.8: receivedAt is a UTCDate ("Z"); any other offset or form is invalidProperties', async () => {
  const blob = await upload(message({ subject: 'dates' }));
  for (const receivedAt of ['2026-01-01T10:00:00+02:00', '2026-01-01 10:00:00Z', '2026-01-01T10:00:00z', 7]) {
    const r = await importOne(blob, { receivedAt });
    assert.equal(r.created, null, String(receivedAt));
    assert.deepEqual([r.notCreated.i.type, r.notCreated.i.properties], ['invalidProperties', ['receivedAt']], String(receivedAt));
  }
});

test('RFC 8621 §4.8: each created entry has exactly id, blobId, threadId and size; keywords are set', async () => {
  const bytes = message({ subject: 'shape' });
  const blob = await upload(bytes);
  const r = await importOne(blob, { keywords: { $seen: true, $flagged: true } });
  const c = r.created.i;
  assert.deepEqual(Object.keys(c).sort(), ['blobId', 'id', 'size', 'threadId']);
  assert.deepEqual([c.blobId, c.size], [blob, bytes.length]);
  assert.equal(r.notCreated, null);
  assert.notEqual(r.oldState, r.newState);
  const [[, g]] = await calls([['Email/get', { accountId: ID, ids: [c.id], properties: ['keywords', 'mailboxIds', 'threadId'] }, 'g']]);
  assert.deepEqual(g.list[0], { id: c.id, keywords: { $seen: true, $flagged: true }, mailboxIds: { [inbox]: true }, threadId: c.threadId });
});

test('RFC 8621 §4.8: at least one mailbox must be given; an unknown blob is invalidProperties; a stale ifInState is stateMismatch', async () => {
  const blob = await upload(message({ subject: 'errors' }));
  const [[, r]] = await calls([['Email/import', { accountId: ID, emails: {
    none: { blobId: blob, mailboxIds: {} },
    gone: { blobId: 'Gnope', mailboxIds: { [inbox]: true } },
  } }, 'i']]);
  assert.deepEqual([r.notCreated.none.type, r.notCreated.none.properties], ['invalidProperties', ['mailboxIds']]);
  // "If the blobId, mailboxIds, or keywords properties are invalid (e.g. missing, wrong type, id not
  // found), the server MUST reject the import with an invalidProperties SetError."
  assert.deepEqual([r.notCreated.gone.type, r.notCreated.gone.properties], ['invalidProperties', ['blobId']]);
  assert.equal(r.created, null);
  const [[name, e]] = await calls([['Email/import', { accountId: ID, ifInState: 'old', emails: { i: { blobId: blob, mailboxIds: { [inbox]: true } } } }, 'i']]);
  assert.deepEqual([name, e.type], ['error', 'stateMismatch']);
});

test('RFC 8621 §4.9: Email/parse answers parsed / notParsable / notFound as null when empty, metadata as null', async () => {
  const bytes = message({ subject: 'Parse me', body: 'parsed body' });
  const blob = await upload(bytes);
  const junk = await upload('\u0000\u0001 not a message at all');
  const [[, ok]] = await calls([['Email/parse', { accountId: ID, blobIds: [blob], properties: ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'subject'] }, 'p']]);
  assert.deepEqual(ok.parsed[blob], {
    id: null, blobId: blob, threadId: null, mailboxIds: null, keywords: null, size: bytes.length, receivedAt: null, subject: 'Parse me',
  });
  assert.deepEqual([ok.notParsable, ok.notFound], [null, null]);
  const [[, bad]] = await calls([['Email/parse', { accountId: ID, blobIds: [junk, 'Gmissing'] }, 'p']]);
  assert.deepEqual([bad.parsed, bad.notParsable, bad.notFound], [null, [junk], ['Gmissing']]);
});

test('RFC 8621 §4.9: Email/parse default properties, with body values on request', async () => {
  const blob = await upload(message({ subject: 'Defaults', body: 'hello\r\nworld' }));
  const [[, r]] = await calls([['Email/parse', { accountId: ID, blobIds: [blob], fetchTextBodyValues: true }, 'p']]);
  const view = r.parsed[blob];
  assert.deepEqual(Object.keys(view).sort(), [
    'attachments', 'bcc', 'bodyValues', 'cc', 'from', 'hasAttachment', 'htmlBody', 'inReplyTo', 'messageId', 'preview', 'references', 'replyTo',
    'sender', 'sentAt', 'subject', 'textBody', 'to',
  ]);
  const part = view.textBody[0].partId;
  assert.match(view.bodyValues[part].value, /^hello\r?\nworld/);
});
