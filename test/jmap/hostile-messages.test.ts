// Messages built to break a server (thousands of MIME parts, tens of thousands of addresses, deep
// nesting), uploaded and imported over HTTP, must then be readable in every Email property, by
// Email/parse, SearchSnippet/get and Thread/get: never serverFail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, type Harness } from './harness.js';
import { BODY_PROPERTIES, HEADER_PROPERTIES, METADATA_PROPERTIES } from '../../src/jmap/mail/email-view.js';
import { deepNesting, manyAddresses, manyParts } from '../support/hostile-messages.js';

const ALICE = 'alice@example.com';
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;

before(async () => {
  h = await startHarness();
  ALICE_ID = await accountIdOf(h);
  await h.store.ensureAccount(ALICE);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());

async function upload(bytes: Buffer): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ALICE_ID}`, {
    method: 'POST',
    headers: { Authorization: h.basic(ALICE), 'Content-Type': 'message/rfc822' },
    body: bytes,
  });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}

const ALL_PROPERTIES = [...METADATA_PROPERTIES, ...HEADER_PROPERTIES, ...BODY_PROPERTIES];
const HEADER_FORMS = ['header:To:asAddresses', 'header:To:asGroupedAddresses:all', 'header:To:asRaw', 'header:Subject:asText'];

async function importAndRead(bytes: Buffer): Promise<Record<string, unknown>> {
  const blobId = await upload(bytes);
  const [[name, imported]] = (await call(h, [['Email/import', { accountId: ALICE_ID, emails: { k: { blobId, mailboxIds: { [inbox]: true } } } }, 'i']])) as [string, any, string][];
  assert.equal(name, 'Email/import', JSON.stringify(imported));
  const id = imported.created.k.id as string;
  const r = (await call(h, [
    ['Email/get', { accountId: ALICE_ID, ids: [id], properties: [...ALL_PROPERTIES, ...HEADER_FORMS], fetchAllBodyValues: true, maxBodyValueBytes: 64 }, 'g'],
    ['Email/parse', { accountId: ALICE_ID, blobIds: [blobId], properties: [...ALL_PROPERTIES.filter((p) => !['id', 'threadId', 'mailboxIds', 'keywords', 'receivedAt'].includes(p)), ...HEADER_FORMS] }, 'p'],
    ['Email/query', { accountId: ALICE_ID, filter: { to: 'a9999@example.org' } }, 'q'],
    ['SearchSnippet/get', { accountId: ALICE_ID, emailIds: [id], filter: { text: 'part' } }, 's'],
    ['Thread/get', { accountId: ALICE_ID, '#ids': { resultOf: 'g', name: 'Email/get', path: '/list/*/threadId' } }, 't'],
  ])) as [string, any, string][];
  for (const [method, args, tag] of r) assert.notEqual(method, 'error', `${tag}: ${JSON.stringify(args)}`);
  assert.equal(r[0]![1].list.length, 1);
  assert.equal(r[1]![1].notParsable, null, 'every blob parsed: RFC 8621 §4.9 answers notParsable as null');
  return r[0]![1].list[0] as Record<string, unknown>;
}

test('Email/get of a message with 5,000 MIME parts answers every property', async () => {
  const email = await importAndRead(manyParts(5000));
  assert.ok(Array.isArray(email.attachments) || Array.isArray(email.textBody));
  assert.equal((email.bodyStructure as { type: string }).type, 'multipart/mixed');
});

test('Email/get of a message with 10,000 addresses in To answers every property', async () => {
  const email = await importAndRead(manyAddresses(10_000));
  assert.equal((email.to as unknown[]).length, 10_000);
});

test('Email/get of a message nested 5,000 multiparts deep answers every property', async () => {
  await importAndRead(deepNesting(5000));
});
