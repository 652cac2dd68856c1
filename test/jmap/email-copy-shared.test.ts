// Mail methods across accounts (issue #24) over real HTTP: Email/copy (RFC 8621 §4.7, RFC 8620 §5.4)
// between bob's own account and alice's account she shares with him, within the rights she granted
// ("r" on the source, "i" on the target, "t"+"e" for onSuccessDestroyOriginal), with the state
// guards and the SetErrors of §5.4; and an upload to alice's account imported there (RFC 8620 §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, message, startHarness, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let h: Harness;
let aliceId: string;
let bobId: string;
let shared: string;
let secret: string;
let bobInbox: string;

type Response = [string, Record<string, any>, string];

async function asBob(name: string, args: Record<string, unknown>): Promise<Response[]> {
  return (await call(h, [[name, args, 'c']], undefined, h.basic(BOB))) as Response[];
}

async function bobEmail(subject: string): Promise<string> {
  return (await h.store.append(BOB, { mailboxIds: [bobInbox], keywords: ['$flagged'], bytes: message({ subject }) })).emailId;
}

async function subjectsIn(account: string, mailboxId: string): Promise<string[]> {
  const r = await h.store.queryEmails(account, { filter: { kind: 'inMailbox', mailboxId } });
  const metas = await h.store.getEmails(account, r.ids, { parsed: true });
  return metas.map((m) => m.parsed?.subject ?? '').sort();
}

before(async () => {
  h = await startHarness();
  for (const u of [ALICE, BOB]) await h.store.ensureAccount(u);
  aliceId = await accountIdOf(h, ALICE);
  bobId = await accountIdOf(h, BOB);
  shared = (await h.store.createMailbox(ALICE, { path: 'Shared' })).id;
  secret = (await h.store.createMailbox(ALICE, { path: 'Secret' })).id;
  bobInbox = (await h.store.findMailboxByRole(BOB, 'inbox'))!.id;
  await h.store.setRights(ALICE, shared, BOB, 'lr');
});
after(() => h.close());

test('Email/copy into a shared mailbox needs "i": without it forbidden, with it created with the source keywords', async () => {
  const source = await bobEmail('copy me');
  const args = { fromAccountId: bobId, accountId: aliceId, create: { c1: { id: source, mailboxIds: { [shared]: true } } } };
  const [[name, refused]] = await asBob('Email/copy', args);
  assert.equal(name, 'Email/copy');
  assert.equal(refused.created, null);
  assert.equal(refused.notCreated.c1.type, 'forbidden');

  // "i" alone: copied, without the keyword bob may not set there (as IMAP COPY, RFC 4314 §4).
  await h.store.setRights(ALICE, shared, BOB, 'lri');
  const [[, bare]] = await asBob('Email/copy', args);
  assert.deepEqual((await h.store.getEmails(ALICE, [bare.created.c1.id]))[0]!.keywords, []);
  // Naming a keyword he may not set refuses that copy.
  const [[, named]] = await asBob('Email/copy', { ...args, create: { c1: { ...args.create.c1, keywords: { $flagged: true } } } });
  assert.equal(named.notCreated.c1.type, 'forbidden');

  await h.store.setRights(ALICE, shared, BOB, 'lriw');
  const [[, done]] = await asBob('Email/copy', args);
  assert.equal(done.fromAccountId, bobId);
  assert.equal(done.accountId, aliceId);
  assert.equal(done.notCreated, null);
  const created = done.created.c1;
  assert.notEqual(created.id, source, 'a new email in the target account');
  assert.equal(typeof created.blobId, 'string');
  assert.equal(typeof created.threadId, 'string');
  assert.equal(typeof created.size, 'number');
  assert.notEqual(done.newState, done.oldState);
  const [copy] = await h.store.getEmails(ALICE, [created.id], { parsed: true });
  assert.equal(copy!.parsed?.subject, 'copy me');
  assert.deepEqual(copy!.mailboxIds, [shared]);
  assert.deepEqual(copy!.keywords, ['$flagged']);
  // The original stays where it was.
  assert.equal((await h.store.getEmails(BOB, [source])).length, 1);
});

test('Email/copy out of a shared account reads only what "r" allows: a private email is notFound', async () => {
  const visible = (await h.store.append(ALICE, { mailboxIds: [shared], bytes: message({ subject: 'shared news' }) })).emailId;
  const hidden = (await h.store.append(ALICE, { mailboxIds: [secret], bytes: message({ subject: 'private news' }) })).emailId;
  const [[, r]] = await asBob('Email/copy', {
    fromAccountId: aliceId,
    accountId: bobId,
    create: {
      ok: { id: visible, mailboxIds: { [bobInbox]: true }, keywords: { $seen: true }, receivedAt: '2026-01-02T03:04:05Z' },
      no: { id: hidden, mailboxIds: { [bobInbox]: true } },
      gone: { id: 'Mnosuchemail', mailboxIds: { [bobInbox]: true } },
    },
  });
  assert.equal(r.notCreated.no.type, 'notFound');
  assert.equal(r.notCreated.gone.type, 'notFound');
  const [copy] = await h.store.getEmails(BOB, [r.created.ok.id], { parsed: true });
  assert.equal(copy!.parsed?.subject, 'shared news');
  assert.deepEqual(copy!.keywords, ['$seen'], 'keywords given override the source');
  assert.equal(copy!.receivedAt.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.ok(!(await subjectsIn(BOB, bobInbox)).includes('private news'));
});

test('Email/copy refuses properties other than id, mailboxIds, keywords and receivedAt, and a copy within one account', async () => {
  const source = await bobEmail('bad copy');
  const [[, r]] = await asBob('Email/copy', {
    fromAccountId: bobId,
    accountId: aliceId,
    create: { x: { id: source, mailboxIds: { [shared]: true }, subject: 'changed' }, y: { mailboxIds: { [shared]: true } } },
  });
  assert.equal(r.notCreated.x.type, 'invalidProperties');
  assert.deepEqual(r.notCreated.x.properties, ['subject']);
  assert.equal(r.notCreated.y.type, 'invalidProperties');
  assert.deepEqual(r.notCreated.y.properties, ['id']);
  const [[name, err]] = await asBob('Email/copy', { fromAccountId: bobId, accountId: bobId, create: {} });
  assert.deepEqual([name, err.type], ['error', 'invalidArguments']);
});

test('Email/copy ifFromInState and ifInState: a stale state fails the whole call with stateMismatch', async () => {
  const source = await bobEmail('guarded');
  const create = { g: { id: source, mailboxIds: { [shared]: true } } };
  const [[n1, e1]] = await asBob('Email/copy', { fromAccountId: bobId, ifFromInState: 'stale', accountId: aliceId, create });
  assert.deepEqual([n1, e1.type], ['error', 'stateMismatch']);
  const [[n2, e2]] = await asBob('Email/copy', { fromAccountId: bobId, accountId: aliceId, ifInState: 'stale', create });
  assert.deepEqual([n2, e2.type], ['error', 'stateMismatch']);
  // The current states (as Email/get tells them) pass.
  const [[, fromGet]] = await asBob('Email/get', { accountId: bobId, ids: [] });
  const [[, toGet]] = await asBob('Email/get', { accountId: aliceId, ids: [] });
  const [[, ok]] = await asBob('Email/copy', { fromAccountId: bobId, ifFromInState: fromGet.state, accountId: aliceId, ifInState: toGet.state, create });
  assert.equal(ok.oldState, toGet.state);
  assert.ok(ok.created.g.id);
});

test('onSuccessDestroyOriginal: an implicit Email/set on the source, which needs "t" and "e" there', async () => {
  // From bob's own account: he may destroy, so the original goes.
  const mine = await bobEmail('move me');
  const out = await asBob('Email/copy', { fromAccountId: bobId, accountId: aliceId, create: { m: { id: mine, mailboxIds: { [shared]: true } } }, onSuccessDestroyOriginal: true });
  assert.deepEqual(out.map(([n, , id]) => [n, id]), [['Email/copy', 'c'], ['Email/set', 'c']]);
  assert.equal(out[1]![1].accountId, bobId);
  assert.deepEqual(out[1]![1].destroyed, [mine]);
  assert.equal((await h.store.getEmails(BOB, [mine])).length, 0);

  // From alice's account without "t"/"e": copied, but the original stays (forbidden).
  const hers = (await h.store.append(ALICE, { mailboxIds: [shared], bytes: message({ subject: 'keep original' }) })).emailId;
  const create = { k: { id: hers, mailboxIds: { [bobInbox]: true } } };
  const kept = await asBob('Email/copy', { fromAccountId: aliceId, accountId: bobId, create, onSuccessDestroyOriginal: true });
  assert.ok(kept[0]![1].created.k.id);
  assert.equal(kept[1]![0], 'Email/set');
  assert.equal(kept[1]![1].notDestroyed[hers].type, 'forbidden');
  assert.equal((await h.store.getEmails(ALICE, [hers])).length, 1);

  // destroyFromIfInState is the implicit call's ifInState: stale, the copy stands and the set fails.
  await h.store.setRights(ALICE, shared, BOB, 'lriwte');
  const stale = await asBob('Email/copy', { fromAccountId: aliceId, accountId: bobId, create, onSuccessDestroyOriginal: true, destroyFromIfInState: 'stale' });
  assert.ok(stale[0]![1].created.k.id);
  assert.deepEqual([stale[1]![0], stale[1]![1].type], ['error', 'stateMismatch']);
  assert.equal((await h.store.getEmails(ALICE, [hers])).length, 1);

  // With the rights, the original in alice's account is destroyed.
  const moved = await asBob('Email/copy', { fromAccountId: aliceId, accountId: bobId, create, onSuccessDestroyOriginal: true });
  assert.deepEqual(moved[1]![1].destroyed, [hers]);
  assert.equal((await h.store.getEmails(ALICE, [hers])).length, 0);
  await h.store.setRights(ALICE, shared, BOB, 'lriw');
});

test('Email/copy into an account over its quota: overQuota, nothing created', async () => {
  const source = await bobEmail('too much');
  await h.store.setQuota(ALICE, { storage: null, messages: 1 });
  try {
    const [[, r]] = await asBob('Email/copy', { fromAccountId: bobId, accountId: aliceId, create: { q: { id: source, mailboxIds: { [shared]: true } } } });
    assert.equal(r.created, null);
    assert.equal(r.notCreated.q.type, 'overQuota');
  } finally {
    await h.store.setQuota(ALICE, null);
  }
});

test('Email/copy from an account not shared with the caller: fromAccountNotFound', async () => {
  const source = await bobEmail('nowhere');
  const [[name, err]] = await asBob('Email/copy', { fromAccountId: 'A'.repeat(64), accountId: aliceId, create: { z: { id: source, mailboxIds: { [shared]: true } } } });
  assert.deepEqual([name, err.type], ['error', 'fromAccountNotFound']);
});

async function uploadAsBob(accountId: string, bytes: Buffer): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${h.url}/upload/${accountId}`, { method: 'POST', headers: { Authorization: h.basic(BOB), 'Content-Type': 'message/rfc822' }, body: bytes });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : {} };
}

test('an upload to a shared account needs "i" on some mailbox there, and Email/import into it accepts the blob', async () => {
  const other = (await h.store.createMailbox(ALICE, { path: 'Readonly' })).id;
  await h.store.setRights(ALICE, shared, BOB, 'lr');
  await h.store.setRights(ALICE, other, BOB, 'lr');
  const refused = await uploadAsBob(aliceId, message({ subject: 'uploaded for alice' }));
  assert.equal(refused.status, 404, 'read-only sharing: no uploads (answered as for an account one cannot use)');

  await h.store.setRights(ALICE, shared, BOB, 'lriw');
  const up = await uploadAsBob(aliceId, message({ subject: 'uploaded for alice' }));
  assert.equal(up.status, 201);
  assert.equal(up.body.accountId, aliceId, 'answered under the account it was sent to');
  const blobId = up.body.blobId as string;
  // Downloadable from that account by the uploader, never by the owner before an email holds it.
  const dl = await fetch(`${h.url}/download/${aliceId}/${blobId}/m.eml?accept=message/rfc822`, { headers: { Authorization: h.basic(BOB) } });
  assert.equal(dl.status, 200);
  assert.equal((await h.store.readBlob(ALICE, blobId)), null);

  const [[, r]] = await asBob('Email/import', {
    accountId: aliceId,
    emails: { ok: { blobId, mailboxIds: { [shared]: true } }, ro: { blobId, mailboxIds: { [other]: true } }, nb: { blobId: 'Gnosuchblob', mailboxIds: { [shared]: true } } },
  });
  assert.equal(r.accountId, aliceId);
  assert.equal(r.notCreated.ro.type, 'forbidden');
  assert.equal(r.notCreated.nb.type, 'invalidProperties');
  const [email] = await h.store.getEmails(ALICE, [r.created.ok.id], { parsed: true });
  assert.equal(email!.parsed?.subject, 'uploaded for alice');
  assert.deepEqual(email!.mailboxIds, [shared]);
  // Now an email of alice's is made of it: hers to read.
  assert.ok(await h.store.readBlob(ALICE, blobId));
});

test("a blob of the owner's private email is not importable into her shared mailbox by id", async () => {
  await h.store.setRights(ALICE, shared, BOB, 'lriw');
  const hidden = (await h.store.append(ALICE, { mailboxIds: [secret], bytes: message({ subject: 'private blob' }) })).emailId;
  const [meta] = await h.store.getEmails(ALICE, [hidden]);
  const [[, r]] = await asBob('Email/import', { accountId: aliceId, emails: { x: { blobId: meta!.blobId, mailboxIds: { [shared]: true } } } });
  assert.equal(r.notCreated.x.type, 'invalidProperties');
  assert.deepEqual(r.notCreated.x.properties, ['blobId']);
  // And the store's view refuses it the same way when asked directly.
  await assert.rejects(h.store.actingAs({ user: BOB }).append(ALICE, { mailboxIds: [shared], bytes: { storedBlob: meta!.blobId } }), { name: 'NoSuchBlobError' });
});
