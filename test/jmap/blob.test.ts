// Blob/copy (RFC 8620 §6.3) and the JMAP Blob management extension (RFC 9404): Blob/upload,
// Blob/get, Blob/lookup, and the urn:ietf:params:jmap:blob capability, each clause a test, with the
// RFC 9404 examples as they are written (their digests are the RFC's own figures).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { accountIdOf, call, message, startHarness, USING, type Call, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const BLOB = 'urn:ietf:params:jmap:blob';
const USING_BLOB = [...USING, BLOB];
const FOX = 'The quick brown fox jumped over the lazy dog.';
/** RFC 9404 §4.1.1: a 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABAQMAAAAl21bKAAAAA1BMVEX/AAAZ4gk3AAAAAXRSTlN/gFy0ywAAAApJREFUeJxjYgAAAAYAAzY3fKgAAAAASUVORK5CYII=';

let h: Harness;
let ID: string;
let emailId: string;
let emailBlob: string;
let threadId: string;
let inbox: string;

async function blobCall(calls: Call[], using = USING_BLOB, auth?: string): Promise<any[]> {
  return (await call(h, calls, using, auth)) as any[];
}

async function upload(bytes: Buffer | string, type = 'application/octet-stream'): Promise<string> {
  const res = await fetch(`${h.url}/upload/${ID}`, { method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': type }, body: bytes });
  assert.equal(res.status, 201);
  return ((await res.json()) as { blobId: string }).blobId;
}

async function uploadText(text: string): Promise<string> {
  const [[, r]] = await blobCall([['Blob/upload', { accountId: ID, create: { t: { data: [{ 'data:asText': text }] } } }, 'u']]);
  return r.created.t.id;
}

before(async () => {
  h = await startHarness();
  await h.store.ensureAccount(ALICE);
  ID = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  const r = await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Blobs', body: 'look me up' }) });
  emailId = r.emailId;
  const [meta] = await h.store.getEmails(ALICE, [emailId]);
  emailBlob = meta!.blobId;
  threadId = meta!.threadId;
});
after(() => h.close());

test('RFC 9404 §3: the session lists urn:ietf:params:jmap:blob ({} at server level) with the account limits', async () => {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(ALICE) } });
  const session = (await res.json()) as any;
  assert.deepEqual(session.capabilities[BLOB], {});
  const cap = session.accounts[ID].accountCapabilities[BLOB];
  assert.equal(cap.maxSizeBlobSet, 1_000_000);
  assert.ok(cap.maxDataSources >= 64, 'servers MUST allow at least 64 DataSourceObjects');
  assert.deepEqual(cap.supportedTypeNames, ['Mailbox', 'Thread', 'Email']);
  assert.deepEqual(cap.supportedDigestAlgorithms, ['sha-256', 'sha']);
});

test('RFC 9404 §4.1.1: Blob/upload of base64 data with a type (the PNG example)', async () => {
  const [[name, r]] = await blobCall([['Blob/upload', { accountId: ID, create: { '1': { data: [{ 'data:asBase64': PNG }], type: 'image/png' } } }, 'R1']]);
  assert.equal(name, 'Blob/upload');
  assert.equal(r.accountId, ID);
  assert.equal(r.notCreated, null);
  assert.equal(r.created['1'].type, 'image/png');
  assert.equal(r.created['1'].size, 95);
  const down = await fetch(`${h.url}/download/${ID}/${r.created['1'].id}/x.png`, { headers: { Authorization: h.basic(ALICE) } });
  assert.deepEqual(Buffer.from(await down.arrayBuffer()), Buffer.from(PNG, 'base64'));
});

test('RFC 9404 §4.1.2: sources concatenate in order; a creation id is usable as "#id" by later calls and later creations', async () => {
  const r = await blobCall([
    ['Blob/upload', { accountId: ID, create: { b4: { data: [{ 'data:asText': FOX }] } } }, 'S4'],
    ['Blob/upload', {
      accountId: ID,
      create: {
        cat: { data: [
          { 'data:asText': 'How' },
          { blobId: '#b4', length: 7, offset: 3 },
          { 'data:asText': 'was t' },
          { blobId: '#b4', length: 1, offset: 1 },
          { 'data:asBase64': 'YXQ/' },
        ] },
        again: { data: [{ blobId: '#cat' }, { blobId: '#b4', offset: 44 }] },
      },
    }, 'CAT'],
    ['Blob/get', { accountId: ID, properties: ['data:asText', 'size'], ids: ['#cat', '#again'] }, 'G4'],
  ]);
  assert.equal(r[0][1].created.b4.size, 45);
  assert.equal(r[0][1].created.b4.type, 'application/octet-stream');
  assert.equal(r[1][1].created.cat.size, 19);
  assert.deepEqual(r[2][1].list, [
    { id: r[1][1].created.cat.id, 'data:asText': 'How quick was that?', size: 19 },
    { id: r[1][1].created.again.id, 'data:asText': 'How quick was that?.', size: 20 },
  ]);
  assert.deepEqual(r[2][1].notFound, []);
});

test('RFC 9404 §4.1: zero sources make an empty blob; a null data:asText is no octets', async () => {
  const [[, r]] = await blobCall([['Blob/upload', { accountId: ID, create: { e: { data: [] }, n: { data: [{ 'data:asText': null }] } } }, 'u']]);
  assert.equal(r.created.e.size, 0);
  assert.equal(r.created.n.size, 0);
});

test('RFC 9404 §4.1: invalid sources, references and ranges fail only their creation (notCreated), never guessed', async () => {
  const fox = await uploadText(FOX);
  const [[, r]] = await blobCall([['Blob/upload', {
    accountId: ID,
    create: {
      two: { data: [{ 'data:asText': 'a', 'data:asBase64': 'YQ==' }] },
      none: { data: [{ offset: 1 }] },
      b64: { data: [{ 'data:asBase64': 'not base64!' }] },
      missing: { data: [{ blobId: 'Gnot-a-blob' }] },
      past: { data: [{ blobId: fox, offset: 40, length: 10 }] },
      start: { data: [{ blobId: fox, offset: 46 }] },
      negative: { data: [{ blobId: fox, offset: -1 }] },
      extra: { data: [{ 'data:asText': 'a', offset: 0 }] },
      serverSet: { data: [], size: 3 },
      noData: { type: 'text/plain' },
      surrogate: { data: [{ 'data:asText': 'a\ud800b' }] },
      ok: { data: [{ blobId: fox, offset: 45 }] },
    },
  }, 'u']]);
  const type = (cid: string): string => r.notCreated[cid].type;
  assert.equal(type('two'), 'invalidProperties');
  assert.deepEqual(r.notCreated.two.properties, ['data/0']);
  assert.equal(type('none'), 'invalidProperties');
  assert.equal(type('b64'), 'invalidProperties');
  assert.equal(type('missing'), 'blobNotFound');
  assert.deepEqual(r.notCreated.missing.notFound, ['Gnot-a-blob']);
  assert.equal(type('past'), 'invalidProperties');
  assert.equal(type('start'), 'invalidProperties');
  assert.equal(type('negative'), 'invalidProperties');
  assert.deepEqual(r.notCreated.extra.properties, ['data/0/offset']);
  assert.equal(type('serverSet'), 'invalidProperties');
  assert.deepEqual(r.notCreated.serverSet.properties, ['size']);
  assert.equal(type('noData'), 'invalidProperties');
  assert.deepEqual(r.notCreated.surrogate.properties, ['data/0/data:asText']);
  assert.equal(r.created.ok.size, 0, 'a range ending exactly at the end of the blob is satisfiable');
});

test('RFC 9404 §3/§4.1: more than maxDataSources sources, or a blob over maxSizeBlobSet, is tooLarge and stores nothing', async () => {
  const big = await upload(Buffer.alloc(600_000, 120));
  const before = await h.store.blobSize(ALICE, big);
  assert.equal(before, 600_000);
  const [[, r]] = await blobCall([['Blob/upload', {
    accountId: ID,
    create: {
      many: { data: Array.from({ length: 65 }, () => ({ 'data:asText': 'x' })) },
      huge: { data: [{ blobId: big }, { blobId: big }] },
      fits: { data: Array.from({ length: 64 }, () => ({ 'data:asText': 'x' })) },
    },
  }, 'u']]);
  assert.equal(r.notCreated.many.type, 'tooLarge');
  assert.equal(r.notCreated.huge.type, 'tooLarge');
  assert.equal(r.created.fits.size, 64);
  // Sources larger than one read slice are copied slice by slice, byte for byte.
  const [[, big2]] = await blobCall([['Blob/upload', { accountId: ID, create: { b: { data: [{ 'data:asText': 'abc' }, { blobId: big, offset: 1 }] } } }, 'u']]);
  assert.equal(big2.created.b.size, 600_002);
  const [[, g]] = await blobCall([['Blob/get', { accountId: ID, ids: [big2.created.b.id], properties: ['digest:sha-256'] }, 'g']]);
  const { createHash } = await import('node:crypto');
  const expected = createHash('sha256').update('abc').update(Buffer.alloc(599_999, 120)).digest('base64');
  assert.equal(g.list[0]['digest:sha-256'], expected);
  assert.deepEqual(await readdir(join(h.dir, 'spool', 'jmap')), [], 'no spool file is left behind');
});

test('Blob/upload arguments are type-checked: invalidArguments, never serverFail; a foreign account is accountNotFound', async () => {
  const r = await blobCall([
    ['Blob/upload', { accountId: ID, create: [] }, 'a'],
    ['Blob/upload', { accountId: 5, create: {} }, 'b'],
    ['Blob/upload', { accountId: 'nobody', create: {} }, 'c'],
    ['Blob/upload', { accountId: ID, create: null }, 'd'],
  ]);
  assert.deepEqual([r[0][0], r[0][1].type], ['error', 'invalidArguments']);
  assert.deepEqual([r[1][0], r[1][1].type], ['error', 'invalidArguments']);
  assert.deepEqual([r[2][0], r[2][1].type], ['error', 'accountNotFound']);
  assert.deepEqual([r[3][0], r[3][1].created, r[3][1].notCreated], ['Blob/upload', null, null]);
});

test('the Blob/upload, Blob/get and Blob/lookup methods need urn:ietf:params:jmap:blob in "using"', async () => {
  const r = await blobCall([['Blob/get', { accountId: ID, ids: [] }, 'g']], USING);
  assert.deepEqual([r[0][0], r[0][1].type], ['error', 'unknownMethod']);
});

test('RFC 9404 §4.2.1: Blob/get with data:asText, digest:sha and size; unknown ids are notFound', async () => {
  const fox = await uploadText(FOX);
  const [[name, r]] = await blobCall([['Blob/get', { accountId: ID, ids: [fox, 'not-a-blob'], properties: ['data:asText', 'digest:sha', 'size'] }, 'R1']]);
  assert.equal(name, 'Blob/get');
  assert.deepEqual(r, {
    accountId: ID,
    list: [{ id: fox, 'data:asText': FOX, 'digest:sha': 'wIVPufsDxBzOOALLDSIFKebu+U4=', size: 45 }],
    notFound: ['not-a-blob'],
  });
});

test('RFC 9404 §4.2.2: offset and length select the octets the data and digests describe; size stays the whole blob', async () => {
  const fox = await uploadText(FOX);
  const [[, r]] = await blobCall([['Blob/get', { accountId: ID, ids: [fox], properties: ['data:asText', 'digest:sha', 'digest:sha-256', 'size'], offset: 4, length: 9 }, 'R1']]);
  assert.deepEqual(r.list, [{
    id: fox,
    'data:asText': 'quick bro',
    'digest:sha': 'QiRAPtfyX8K6tm1iOAtZ87Xj3Ww=',
    'digest:sha-256': 'gdg9INW7lwHK6OQ9u0dwDz2ZY/gubi0En0xlFpKt0OA=',
    size: 45,
  }]);
});

test('RFC 9404 §4.2.3: a range past the end returns what there is with isTruncated; past the end entirely, empty', async () => {
  const fox = await uploadText(FOX);
  const r = await blobCall([
    ['Blob/get', { accountId: ID, ids: [fox], properties: ['data:asText', 'size'], offset: 20, length: 100 }, 'a'],
    ['Blob/get', { accountId: ID, ids: [fox], properties: ['data:asBase64'], offset: 99 }, 'b'],
    ['Blob/get', { accountId: ID, ids: [fox], properties: ['data:asText'], offset: 20 }, 'c'],
  ]);
  assert.deepEqual(r[0][1].list, [{ id: fox, 'data:asText': 'jumped over the lazy dog.', isTruncated: true, size: 45 }]);
  assert.deepEqual(r[1][1].list, [{ id: fox, 'data:asBase64': '', isTruncated: true }]);
  assert.deepEqual(r[2][1].list, [{ id: fox, 'data:asText': 'jumped over the lazy dog.' }], 'no length: to the end, not truncated');
});

test('RFC 9404 §4.2.4: octets that are not UTF-8 (or a cut multi-octet sequence) are an encoding problem', async () => {
  const [[, up]] = await blobCall([['Blob/upload', { accountId: ID, create: {
    bin: { data: [{ 'data:asBase64': Buffer.from([0x41, 0xff, 0xfe, 0x42]).toString('base64') }] },
    e: { data: [{ 'data:asText': 'é' }] },
  } }, 'u']]);
  const bin = up.created.bin.id;
  const r = await blobCall([
    ['Blob/get', { accountId: ID, ids: [bin], properties: ['data:asText', 'data:asBase64', 'size'] }, 'a'],
    ['Blob/get', { accountId: ID, ids: [bin], properties: ['data'] }, 'b'],
    ['Blob/get', { accountId: ID, ids: [bin], properties: ['data:asBase64'] }, 'c'],
    ['Blob/get', { accountId: ID, ids: [up.created.e.id], properties: ['data'], length: 1 }, 'd'],
    ['Blob/get', { accountId: ID, ids: [up.created.e.id], properties: ['data'] }, 'e'],
  ]);
  assert.deepEqual(r[0][1].list, [{ id: bin, 'data:asText': null, 'data:asBase64': 'Qf/+Qg==', isEncodingProblem: true, size: 4 }]);
  assert.deepEqual(r[1][1].list, [{ id: bin, 'data:asBase64': 'Qf/+Qg==', isEncodingProblem: true }]);
  assert.deepEqual(r[2][1].list, [{ id: bin, 'data:asBase64': 'Qf/+Qg==' }]);
  assert.deepEqual(r[3][1].list, [{ id: up.created.e.id, 'data:asBase64': 'ww==', isEncodingProblem: true }]);
  assert.deepEqual(r[4][1].list, [{ id: up.created.e.id, 'data:asText': 'é' }]);
});

test('RFC 9404 §4.2: properties default to data and size', async () => {
  const fox = await uploadText(FOX);
  const [[, r]] = await blobCall([['Blob/get', { accountId: ID, ids: [fox] }, 'g']]);
  assert.deepEqual(r.list, [{ id: fox, 'data:asText': FOX, size: 45 }]);
});

test('Blob/get reads emails and their parts; another account sees neither', async () => {
  const [[, e]] = await blobCall([['Email/get', { accountId: ID, ids: [emailId], properties: ['blobId', 'textBody'] }, 'e']]);
  const partBlob = e.list[0].textBody[0].blobId;
  const [[, r]] = await blobCall([['Blob/get', { accountId: ID, ids: [emailBlob, partBlob], properties: ['data:asText', 'size'] }, 'g']]);
  assert.match(r.list[0]['data:asText'], /^From: Bob/);
  assert.equal(r.list[1]['data:asText'], 'look me up\r\n');
  const bob = h.basic('bob@example.com');
  const bobId = await accountIdOf(h, 'bob@example.com');
  const [[, b]] = await blobCall([['Blob/get', { accountId: bobId, ids: [emailBlob, partBlob] }, 'g']], USING_BLOB, bob);
  assert.deepEqual(b.notFound, [emailBlob, partBlob]);
});

test('Blob/get arguments: unknown properties or digests, bad offsets and null ids are refused as errors, never serverFail', async () => {
  const fox = await uploadText(FOX);
  const r = await blobCall([
    ['Blob/get', { accountId: ID, ids: [fox], properties: ['data:asHex'] }, 'a'],
    ['Blob/get', { accountId: ID, ids: [fox], properties: ['digest:md5'] }, 'b'],
    ['Blob/get', { accountId: ID, ids: [fox], offset: -1 }, 'c'],
    ['Blob/get', { accountId: ID, ids: [fox], length: '3' }, 'd'],
    ['Blob/get', { accountId: ID, ids: null }, 'e'],
    ['Blob/get', { accountId: ID, ids: 'x' }, 'f'],
  ]);
  assert.deepEqual(r.map((x) => x[1].type), ['invalidArguments', 'invalidArguments', 'invalidArguments', 'invalidArguments', 'requestTooLarge', 'invalidArguments']);
});

test('Blob/get data of one call is bounded: a selection over maxSizeUpload octets is requestTooLarge; digests are not', async () => {
  const big = await upload(Buffer.alloc(600_000, 121));
  const other = await upload(Buffer.alloc(600_000, 122));
  const r = await blobCall([
    ['Blob/get', { accountId: ID, ids: [big, other], properties: ['data:asBase64'] }, 'a'],
    ['Blob/get', { accountId: ID, ids: [big, other], properties: ['digest:sha-256', 'size'] }, 'b'],
  ]);
  assert.equal(r[0][1].type, 'requestTooLarge');
  assert.equal(r[1][1].list[0].size, 600_000);
  const { createHash } = await import('node:crypto');
  assert.equal(r[1][1].list[1]['digest:sha-256'], createHash('sha256').update(Buffer.alloc(600_000, 122)).digest('base64'));
});

test('RFC 9404 §4.3: Blob/lookup maps a blob to the Mailboxes, Threads and Emails that reference it', async () => {
  const [[, e]] = await blobCall([['Email/get', { accountId: ID, ids: [emailId], properties: ['textBody'] }, 'e']]);
  const partBlob = e.list[0].textBody[0].blobId;
  const unreferenced = await uploadText('nobody points at me');
  const [[name, r]] = await blobCall([['Blob/lookup', { accountId: ID, typeNames: ['Mailbox', 'Thread', 'Email'], ids: [emailBlob, partBlob, unreferenced, 'not-a-blob'] }, 'R1']]);
  assert.equal(name, 'Blob/lookup');
  const matched = { Mailbox: [inbox], Thread: [threadId], Email: [emailId] };
  assert.deepEqual(r.list, [
    { id: emailBlob, matchedIds: matched },
    { id: partBlob, matchedIds: matched },
    { id: unreferenced, matchedIds: { Mailbox: [], Thread: [], Email: [] } },
  ]);
  assert.deepEqual(r.notFound, ['not-a-blob']);
  const [[, only]] = await blobCall([['Blob/lookup', { accountId: ID, typeNames: ['Email'], ids: [emailBlob] }, 'R2']]);
  assert.deepEqual(only.list, [{ id: emailBlob, matchedIds: { Email: [emailId] } }]);
});

test('RFC 9404 §4.3: an unknown type name, or one whose capability is not in "using", is unknownDataType', async () => {
  const r = await blobCall([
    ['Blob/lookup', { accountId: ID, typeNames: ['Identity'], ids: [emailBlob] }, 'a'],
    ['Blob/lookup', { accountId: ID, typeNames: 'Email', ids: [emailBlob] }, 'b'],
  ]);
  assert.deepEqual([r[0][0], r[0][1].type], ['error', 'unknownDataType']);
  assert.deepEqual([r[1][0], r[1][1].type], ['error', 'invalidArguments']);
  const [[, noMail]] = await blobCall([['Blob/lookup', { accountId: ID, typeNames: ['Email'], ids: [emailBlob] }, 'c']], ['urn:ietf:params:jmap:core', BLOB]);
  assert.equal(noMail.type, 'unknownDataType');
});

test('RFC 8620 §6.3: Blob/copy within the account copies; unknown blobs are notCopied with blobNotFound', async () => {
  const fox = await uploadText(FOX);
  const [[name, r]] = await blobCall([['Blob/copy', { fromAccountId: ID, accountId: ID, blobIds: [fox, emailBlob, 'not-a-blob'] }, 'c']], USING);
  assert.equal(name, 'Blob/copy');
  assert.equal(r.fromAccountId, ID);
  assert.equal(r.accountId, ID);
  assert.deepEqual(r.copied, { [fox]: fox, [emailBlob]: emailBlob });
  assert.equal(r.notCopied['not-a-blob'].type, 'blobNotFound');
});

test('RFC 8620 §6.3: Blob/copy from or to an account the user cannot access is fromAccountNotFound / accountNotFound', async () => {
  const bobId = await accountIdOf(h, 'bob@example.com');
  const r = await blobCall([
    ['Blob/copy', { fromAccountId: bobId, accountId: ID, blobIds: [emailBlob] }, 'a'],
    ['Blob/copy', { fromAccountId: ID, accountId: bobId, blobIds: [emailBlob] }, 'b'],
    ['Blob/copy', { fromAccountId: ID, accountId: ID, blobIds: 'x' }, 'c'],
    ['Blob/copy', { accountId: ID, blobIds: [] }, 'd'],
  ], USING);
  assert.deepEqual(r.map((x) => [x[0], x[1].type]), [
    ['error', 'fromAccountNotFound'],
    ['error', 'accountNotFound'],
    ['error', 'invalidArguments'],
    ['error', 'invalidArguments'],
  ]);
});

test('Blob/upload takes ranges of MIME part blobs (decoded) and of whole messages', async () => {
  const [[, e]] = await blobCall([['Email/get', { accountId: ID, ids: [emailId], properties: ['textBody'] }, 'e']]);
  const partBlob = e.list[0].textBody[0].blobId;
  const r = await blobCall([
    ['Blob/upload', { accountId: ID, create: { p: { data: [{ blobId: partBlob, offset: 5, length: 2 }, { 'data:asText': '|' }, { blobId: emailBlob, length: 5 }] } } }, 'u'],
    ['Blob/get', { accountId: ID, ids: ['#p'], properties: ['data:asText'] }, 'g'],
    ['Blob/upload', { accountId: ID, create: { past: { data: [{ blobId: partBlob, offset: 5, length: 100 }] } } }, 'x'],
  ]);
  assert.deepEqual(r[1][1].list, [{ id: r[0][1].created.p.id, 'data:asText': 'me|From:' }]);
  assert.equal(r[2][1].notCreated.past.type, 'invalidProperties');
});
