// RFC 8621 mail methods over HTTP against the real SQLite store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, USING, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;
let archive: string;
let trash: string;
const ids: string[] = [];

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ALICE_ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  archive = (await h.store.findMailboxByRole(ALICE, 'archive'))!.id;
  trash = (await h.store.findMailboxByRole(ALICE, 'trash'))!.id;
  for (let i = 0; i < 5; i++) {
    const r = await h.store.append(ALICE, {
      mailboxIds: [inbox],
      bytes: message({ subject: `Message ${i}`, body: i === 3 ? 'the quarterly report is attached' : `body ${i}`, messageId: `m${i}@example.com` }),
      receivedAt: new Date(Date.UTC(2026, 10, 1 + i)),
    });
    ids.push(r.emailId);
  }
});
after(() => h.close());

test('Mailbox/get lists the special-use mailboxes with roles, counts and rights', async () => {
  const [[name, res]] = (await call(h, [['Mailbox/get', { accountId: ALICE_ID, ids: null }, '0']])) as any;
  assert.equal(name, 'Mailbox/get');
  const box = res.list.find((m: any) => m.role === 'inbox');
  assert.equal(box.id, inbox);
  assert.equal(box.totalEmails, 5);
  assert.equal(box.unreadEmails, 5);
  assert.equal(box.myRights.mayDelete, false);
  assert.deepEqual(new Set(res.list.map((m: any) => m.role)), new Set(['inbox', 'drafts', 'sent', 'trash', 'junk', 'archive']));
});

test('Email/query (newest first, collapseThreads) with a back-referenced Email/get', async () => {
  const r = (await call(h, [
    ['Email/query', { accountId: ALICE_ID, filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true, limit: 3, calculateTotal: true }, 'q'],
    ['Email/get', { accountId: ALICE_ID, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'from', 'receivedAt', 'keywords', 'mailboxIds', 'preview'] }, 'g'],
  ])) as any;
  assert.equal(r[0][0], 'Email/query');
  assert.deepEqual(r[0][1].ids, [ids[4], ids[3], ids[2]]);
  assert.equal(r[0][1].total, 5);
  assert.equal(r[0][1].position, 0);
  const list = r[1][1].list;
  assert.deepEqual(list.map((e: any) => e.subject), ['Message 4', 'Message 3', 'Message 2']);
  assert.deepEqual(list[0].from, [{ name: 'Bob', email: 'bob@example.com' }]);
  assert.equal(list[0].receivedAt, '2026-11-05T00:00:00Z');
  assert.deepEqual(list[0].mailboxIds, { [inbox]: true });
});

test('Email/query text filter and SearchSnippet highlight the match', async () => {
  const r = (await call(h, [
    ['Email/query', { accountId: ALICE_ID, filter: { body: 'quarterly' } }, 'q'],
    ['SearchSnippet/get', { accountId: ALICE_ID, filter: { body: 'quarterly' }, '#emailIds': { resultOf: 'q', name: 'Email/query', path: '/ids' } }, 's'],
  ])) as any;
  assert.deepEqual(r[0][1].ids, [ids[3]]);
  assert.match(r[1][1].list[0].preview, /<mark>quarterly<\/mark>/);
});

test('Email/query takes any text in a filter, NUL and quotes included, as a plain substring', async () => {
  const filters = [{ body: 'quar\u0000terly' }, { text: '"quarterly' }, { subject: 'Message 3" OR "x' }, { body: 'report AND NOT' }];
  const r = (await call(h, filters.map((filter, i) => ['Email/query', { accountId: ALICE_ID, filter }, `q${i}`]))) as any;
  for (const [name, result] of r) assert.equal(name, 'Email/query', JSON.stringify(result));
  // text splits into words ("quarterly" once its quote is dropped); the others are one substring.
  assert.deepEqual(r.map((c: any) => c[1].ids), [[], [ids[3]], [], []]);
});

test('Email/query rejects unknown filters and sorts', async () => {
  const r = (await call(h, [
    ['Email/query', { accountId: ALICE_ID, filter: { colour: 'red' } }, 'a'],
    ['Email/query', { accountId: ALICE_ID, sort: [{ property: 'colour' }] }, 'b'],
  ])) as any;
  assert.equal(r[0][1].type, 'unsupportedFilter');
  assert.equal(r[1][1].type, 'unsupportedSort');
});

test('Email/get with bodyStructure, bodyValues and header forms', async () => {
  const [[, res]] = (await call(h, [
    ['Email/get', {
      accountId: ALICE_ID, ids: [ids[0]],
      properties: ['bodyStructure', 'textBody', 'bodyValues', 'header:Subject:asText', 'header:From:asAddresses', 'header:Message-ID:asMessageIds', 'header:Date:asDate', 'messageId', 'sentAt', 'header:X-Missing:all'],
      fetchTextBodyValues: true, maxBodyValueBytes: 4,
    }, '0'],
  ])) as any;
  const e = res.list[0];
  assert.equal(e.bodyStructure.type, 'text/plain');
  assert.equal(e.bodyStructure.charset, 'utf-8');
  const partId = e.textBody[0].partId;
  assert.deepEqual(e.bodyValues[partId], { value: 'body', isEncodingProblem: false, isTruncated: true });
  assert.equal(e['header:Subject:asText'], 'Message 0');
  assert.deepEqual(e['header:From:asAddresses'], [{ name: 'Bob', email: 'bob@example.com' }]);
  assert.deepEqual(e['header:Message-ID:asMessageIds'], ['m0@example.com']);
  assert.deepEqual(e.messageId, ['m0@example.com']);
  assert.equal(e['header:Date:asDate'], '2026-11-03T10:00:00+01:00');
  assert.equal(e.sentAt, '2026-11-03T10:00:00+01:00');
  assert.deepEqual(e['header:X-Missing:all'], []);
  const [[, bad]] = (await call(h, [['Email/get', { accountId: ALICE_ID, ids: [ids[0]], properties: ['header:Subject:asAddresses'] }, '0']])) as any;
  assert.equal(bad.type, 'invalidArguments');
});

test('Email/set keyword and mailbox patches, seen by the store and Email/changes', async () => {
  const [[, st]] = (await call(h, [['Email/get', { accountId: ALICE_ID, ids: [], properties: ['id'] }, '0']])) as any;
  const r = (await call(h, [
    ['Email/set', { accountId: ALICE_ID, update: {
      [ids[0]!]: { 'keywords/$seen': true, 'keywords/$flagged': true },
      [ids[1]!]: { [`mailboxIds/${inbox}`]: null, [`mailboxIds/${archive}`]: true },
      [ids[2]!]: { subject: 'nope' },
    } }, 'set'],
    ['Email/changes', { accountId: ALICE_ID, sinceState: st.state }, 'ch'],
  ])) as any;
  assert.deepEqual(Object.keys(r[0][1].updated).sort(), [ids[0], ids[1]].sort());
  assert.equal(r[0][1].notUpdated[ids[2]!].type, 'invalidProperties');
  assert.deepEqual(new Set(r[1][1].updated), new Set([ids[0], ids[1]]));
  const [meta0, meta1] = await h.store.getEmails(ALICE, [ids[0]!, ids[1]!]);
  assert.deepEqual(new Set(meta0!.keywords), new Set(['$seen', '$flagged']));
  assert.deepEqual(meta1!.mailboxIds, [archive]);
});

test('Email/set create from textBody, then destroy; ifInState mismatch refused', async () => {
  const r = (await call(h, [
    ['Email/set', { accountId: ALICE_ID, create: { draft: {
      mailboxIds: { [inbox]: true }, keywords: { $draft: true },
      from: [{ name: 'Alice', email: ALICE }], to: [{ name: 'Bob', email: 'bob@example.com' }], bcc: [{ email: 'carol@example.com' }],
      subject: 'Créé par JMAP', textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'Bonjour ☃' } },
      attachments: [],
    } } }, 'c'],
    ['Email/get', { accountId: ALICE_ID, ids: ['#draft'], properties: ['subject', 'bcc', 'keywords', 'textBody', 'bodyValues'], fetchTextBodyValues: true }, 'g'],
    ['Email/set', { accountId: ALICE_ID, ifInState: 'bogus', destroy: ['#draft'] }, 'm'],
  ])) as any;
  const created = r[0][1].created.draft;
  assert.ok(created.id && created.blobId && created.threadId && created.size > 0);
  const e = r[1][1].list[0];
  assert.equal(e.subject, 'Créé par JMAP');
  assert.deepEqual(e.bcc, [{ name: null, email: 'carol@example.com' }]);
  assert.deepEqual(e.keywords, { $draft: true });
  assert.equal(e.bodyValues[e.textBody[0].partId].value.trim(), 'Bonjour ☃');
  assert.equal(r[2][1].type, 'stateMismatch');
  const [[, d]] = (await call(h, [['Email/set', { accountId: ALICE_ID, destroy: [created.id] }, 'd']])) as any;
  assert.deepEqual(d.destroyed, [created.id]);
  assert.equal((await h.store.getEmails(ALICE, [created.id])).length, 0);
});

test('upload, Email/import, download; another account cannot read the blob', async () => {
  const bytes = message({ subject: 'Imported', messageId: 'imp@example.com' });
  const up = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'message/rfc822' }, body: bytes });
  assert.equal(up.status, 201);
  const blob = (await up.json()) as any;
  assert.equal(blob.size, bytes.length);
  assert.equal(blob.accountId, ALICE_ID);
  const r = (await call(h, [
    ['Email/import', { accountId: ALICE_ID, emails: { i1: { blobId: blob.blobId, mailboxIds: { [inbox]: true }, keywords: { $seen: true }, receivedAt: '2026-11-20T10:00:00Z' } } }, 'i'],
    ['Email/parse', { accountId: ALICE_ID, blobIds: [blob.blobId, 'nope'], properties: ['subject', 'messageId'] }, 'p'],
  ])) as any;
  assert.ok(r[0][1].created.i1.id);
  assert.equal(r[1][1].parsed[blob.blobId].subject, 'Imported');
  assert.deepEqual(r[1][1].notFound, ['nope']);

  const dl = await fetch(`${h.url}/download/${ALICE_ID}/${blob.blobId}/m.eml?type=message/rfc822`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(dl.status, 200);
  assert.equal(dl.headers.get('content-type'), 'message/rfc822');
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), bytes);
  const asBob = await fetch(`${h.url}/download/${ALICE_ID}/${blob.blobId}/m.eml`, { headers: { Authorization: h.basic('bob@example.com') } });
  assert.equal(asBob.status, 404);
  const bobsOwn = await fetch(`${h.url}/download/${await accountIdOf(h, 'bob@example.com')}/${blob.blobId}/m.eml`, { headers: { Authorization: h.basic('bob@example.com') } });
  assert.equal(bobsOwn.status, 404);
  const bobUpload = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic('bob@example.com') }, body: 'x' });
  assert.equal(bobUpload.status, 404);
});

test('an upload over maxSizeUpload is refused with the limit and stores nothing', async () => {
  const res = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE) }, body: Buffer.alloc(1_000_001, 97) });
  assert.equal(res.status, 400);
  const body = (await res.json()) as any;
  assert.equal(body.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(body.limit, 'maxSizeUpload');
});

test('part blobs download decoded', async () => {
  const [[, res]] = (await call(h, [['Email/get', { accountId: ALICE_ID, ids: [ids[3]], properties: ['textBody'] }, '0']])) as any;
  const part = res.list[0].textBody[0];
  const dl = await fetch(`${h.url}/download/${ALICE_ID}/${part.blobId}/body.txt?type=text/plain`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(dl.status, 200);
  assert.match(await dl.text(), /quarterly report/);
});

test('Mailbox/set creates a child by creation id, renames, and destroys with onDestroyRemoveEmails', async () => {
  const r = (await call(h, [
    ['Mailbox/set', { accountId: ALICE_ID, create: { p: { name: 'Projects', parentId: null }, c: { name: 'Tessera', parentId: '#p' } } }, 's'],
    ['Mailbox/query', { accountId: ALICE_ID, filter: { parentId: '#p' } }, 'q'],
  ])) as any;
  const parent = r[0][1].created.p.id;
  const child = r[0][1].created.c.id;
  assert.ok(parent && child);
  const [[, renamed]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, update: { [child]: { name: 'Tessera 2' } } }, 'u']])) as any;
  assert.deepEqual(renamed.updated, { [child]: null });
  await call(h, [['Email/set', { accountId: ALICE_ID, update: { [ids[4]!]: { [`mailboxIds/${child}`]: true } } }, 'e']]);
  const [[, refused]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, destroy: [child, inbox] }, 'd']])) as any;
  assert.equal(refused.notDestroyed[child].type, 'mailboxHasEmail');
  assert.equal(refused.notDestroyed[inbox].type, 'forbidden');
  const [[, ok]] = (await call(h, [['Mailbox/set', { accountId: ALICE_ID, destroy: [child], onDestroyRemoveEmails: true }, 'd']])) as any;
  assert.deepEqual(ok.destroyed, [child]);
  const [meta] = await h.store.getEmails(ALICE, [ids[4]!]);
  assert.deepEqual(meta!.mailboxIds, [inbox]);
  void trash;
});

test('Thread/get follows Email/get threadIds', async () => {
  const r = (await call(h, [
    ['Email/get', { accountId: ALICE_ID, ids: [ids[0]], properties: ['threadId'] }, 'e'],
    ['Thread/get', { accountId: ALICE_ID, '#ids': { resultOf: 'e', name: 'Email/get', path: '/list/*/threadId' } }, 't'],
  ])) as any;
  assert.deepEqual(r[1][1].list[0].emailIds.includes(ids[0]), true);
});

test('Identity, VacationResponse and Quota need their capabilities and work', async () => {
  const withCaps = [...USING, 'urn:ietf:params:jmap:vacationresponse', 'urn:ietf:params:jmap:quota'];
  const r = (await call(h, [
    ['VacationResponse/set', { accountId: ALICE_ID, update: { singleton: { isEnabled: true, subject: 'Away', textBody: 'Back Monday' } } }, 'v'],
    ['VacationResponse/get', { accountId: ALICE_ID }, 'vg'],
    ['Quota/get', { accountId: ALICE_ID, ids: null }, 'q'],
  ], withCaps)) as any;
  assert.deepEqual(r[0][1].updated, { singleton: null });
  assert.equal(r[1][1].list[0].isEnabled, true);
  assert.equal(r[1][1].list[0].subject, 'Away');
  assert.deepEqual(r[2][1].list, []);
  const [[, noCap]] = (await call(h, [['VacationResponse/get', { accountId: ALICE_ID }, 'v']])) as any;
  assert.equal(noCap.type, 'unknownMethod');
});

test('one account never sees another\'s data: blob ids, email ids and part blobs of bob are unknown to alice', async () => {
  await h.store.ensureAccount('bob@example.com');
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!.id;
  const bobMail = await h.store.append('bob@example.com', { mailboxIds: [bobInbox], bytes: message({ subject: 'Bob private' }) });
  const bobId = await accountIdOf(h, 'bob@example.com');
  assert.notEqual(bobId, ALICE_ID);
  const up = await fetch(`${h.url}/upload/${bobId}`, { method: 'POST', headers: { Authorization: h.basic('bob@example.com') }, body: message({ subject: 'Bob upload' }) });
  const bobBlob = ((await up.json()) as { blobId: string }).blobId;
  const [[, bobView]] = (await call(h, [['Email/get', { accountId: bobId, ids: [bobMail.emailId], properties: ['textBody'] }, '0']], USING, h.basic('bob@example.com'))) as any;
  const bobPart = bobView.list[0].textBody[0].blobId;
  const r = (await call(h, [
    ['Email/import', { accountId: ALICE_ID, emails: { x: { blobId: bobBlob, mailboxIds: { [inbox]: true } }, y: { blobId: bobMail.blobId, mailboxIds: { [inbox]: true } } } }, 'i'],
    ['Email/get', { accountId: ALICE_ID, ids: [bobMail.emailId], properties: ['subject'] }, 'g'],
    ['Email/parse', { accountId: ALICE_ID, blobIds: [bobBlob, bobPart] }, 'p'],
  ])) as any;
  // RFC 8621 §4.8: a blobId that is not found is invalidProperties naming blobId.
  assert.deepEqual([r[0][1].notCreated.x.type, r[0][1].notCreated.x.properties], ['invalidProperties', ['blobId']]);
  assert.deepEqual([r[0][1].notCreated.y.type, r[0][1].notCreated.y.properties], ['invalidProperties', ['blobId']]);
  assert.deepEqual(r[1][1].notFound, [bobMail.emailId]);
  assert.deepEqual(r[2][1].notFound, [bobBlob, bobPart]);
  for (const blob of [bobBlob, bobMail.blobId, bobPart]) {
    const dl = await fetch(`${h.url}/download/${ALICE_ID}/${blob}/x`, { headers: { Authorization: h.basic(ALICE) } });
    assert.equal(dl.status, 404, blob);
  }
});

test('Email/set create from a bodyStructure with an uploaded attachment and custom headers', async () => {
  const up = await fetch(`${h.url}/upload/${ALICE_ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'application/pdf' }, body: Buffer.from('%PDF-1.4 fake') });
  const blob = ((await up.json()) as { blobId: string }).blobId;
  const r = (await call(h, [
    ['Email/set', { accountId: ALICE_ID, create: { m: {
      mailboxIds: { [inbox]: true },
      from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }], subject: 'Report',
      'header:X-Tessera-Test:asText': 'golden',
      'header:List-Unsubscribe:asURLs': ['mailto:unsub@example.com'],
      bodyStructure: { type: 'multipart/mixed', subParts: [
        { type: 'multipart/alternative', subParts: [
          { partId: 'txt', type: 'text/plain' },
          { partId: 'htm', type: 'text/html' },
        ] },
        { blobId: blob, type: 'application/pdf', name: 'report.pdf', disposition: 'attachment' },
      ] },
      bodyValues: { txt: { value: 'See attached.' }, htm: { value: '<p>See <b>attached</b>.</p>' } },
    } } }, 'c'],
    ['Email/get', { accountId: ALICE_ID, ids: ['#m'], properties: ['textBody', 'htmlBody', 'attachments', 'hasAttachment', 'bodyValues', 'header:X-Tessera-Test:asText', 'header:List-Unsubscribe:asURLs'], fetchAllBodyValues: true }, 'g'],
  ])) as any;
  assert.ok(r[0][1].created.m, JSON.stringify(r[0][1]));
  const e = r[1][1].list[0];
  assert.deepEqual(e.textBody.map((p: any) => p.type), ['text/plain']);
  assert.deepEqual(e.htmlBody.map((p: any) => p.type), ['text/html']);
  assert.equal(e.attachments.length, 1);
  assert.equal(e.attachments[0].name, 'report.pdf');
  assert.equal(e.attachments[0].type, 'application/pdf');
  assert.equal(e.hasAttachment, true);
  assert.equal(e['header:X-Tessera-Test:asText'], 'golden');
  assert.deepEqual(e['header:List-Unsubscribe:asURLs'], ['mailto:unsub@example.com']);
  assert.equal(e.bodyValues[e.textBody[0].partId].value.trim(), 'See attached.');
  const dl = await fetch(`${h.url}/download/${ALICE_ID}/${e.attachments[0].blobId}/report.pdf?type=application/pdf`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(await dl.text(), '%PDF-1.4 fake');
});

test('Email/queryChanges reports changed emails as removed and re-adds those that still match', async () => {
  const query = { accountId: ALICE_ID, filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }] };
  const [[, q0]] = (await call(h, [['Email/query', query, 'q']])) as any;
  const fresh = await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'newest' }), receivedAt: new Date(Date.UTC(2030, 0, 1)) });
  const gone = q0.ids[q0.ids.length - 1];
  await call(h, [['Email/set', { accountId: ALICE_ID, update: { [gone]: { [`mailboxIds/${inbox}`]: null, [`mailboxIds/${archive}`]: true } } }, 's']]);
  const [[, ch], [, q1]] = (await call(h, [
    ['Email/queryChanges', { ...query, sinceQueryState: q0.queryState, calculateTotal: true }, 'c'],
    ['Email/query', query, 'q'],
  ])) as any;
  assert.equal(ch.oldQueryState, q0.queryState);
  assert.equal(ch.newQueryState, q1.queryState);
  assert.ok(ch.removed.includes(gone));
  assert.deepEqual(ch.added, [{ id: fresh.emailId, index: 0 }]);
  assert.equal(ch.total, q1.ids.length);
  // Applying the changes to the old list gives the new list.
  const patched = q0.ids.filter((id: string) => !ch.removed.includes(id));
  for (const { id, index } of ch.added) patched.splice(index, 0, id);
  assert.deepEqual(patched, q1.ids);
  const [[, collapsed]] = (await call(h, [['Email/queryChanges', { ...query, collapseThreads: true, sinceQueryState: q0.queryState }, 'c']])) as any;
  assert.equal(collapsed.type, 'cannotCalculateChanges');
});

test('SearchSnippet finds a match beyond the preview in the body text', async () => {
  const long = `${'filler words here. '.repeat(40)}the secret pineapple is here`;
  const r = await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Long', body: long }) });
  const [[, s]] = (await call(h, [['SearchSnippet/get', { accountId: ALICE_ID, filter: { text: 'pineapple' }, emailIds: [r.emailId] }, 's']])) as any;
  assert.match(s.list[0].preview, /<mark>pineapple<\/mark>/);
  assert.equal(s.list[0].subject, null);
});
