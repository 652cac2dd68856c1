// A real JMAP client (jmap-jam) with bearer tokens from a real OpenID provider reads, searches,
// flags, moves and sends mail; sending goes through the delivery core to a local recipient.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { message, startHarness, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';

// jmap-jam ships its RFC types as .ts sources that our strict compiler would type-check, so the
// client is loaded dynamically and used through the small surface this test needs.
type Result = Record<string, any>;
interface Draft {
  $ref(path: string): unknown;
}
type DraftBuilder = Record<string, Record<string, (args: Record<string, unknown>) => Draft>>;
interface JamClient {
  getPrimaryAccount(): Promise<string>;
  /** The session resource the client fetched. */
  session: Promise<{ accounts: Record<string, { name: string }> }>;
  api: Record<string, Record<string, (args: Record<string, unknown>, options?: { using?: string[] }) => Promise<[Result, unknown]>>>;
  requestMany(build: (t: DraftBuilder) => Record<string, Draft>, options?: { using?: string[] }): Promise<[Record<string, Result>, unknown]>;
  uploadBlob(accountId: string, body: Blob): Promise<{ blobId: string }>;
  downloadBlob(options: { accountId: string; blobId: string; mimeType: string; fileName: string }): Promise<Response>;
}
type JamConstructor = new (options: { sessionUrl: string; bearerToken: string }) => JamClient;
const JAM_MODULE = 'jmap-jam';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
let idp: TestIdp;
let h: Harness;
let jam: JamClient;


before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  h = await startHarness({
    config: { strategies: ['jwt'], auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() } },
    delivery: localDelivery,
  });
  await h.store.ensureAccount(ALICE);
  const inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Invoice 42', body: 'Please pay the invoice', messageId: 'inv42@example.com' }) });
  await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'Lunch', body: 'Noodles at noon?', messageId: 'lunch@example.com' }) });
  const { JamClient } = (await import(JAM_MODULE)) as { JamClient: JamConstructor };
  jam = new JamClient({ sessionUrl: `${h.url}/jmap/session`, bearerToken: await idp.accessToken(ALICE) });
});
after(async () => {
  await h?.close();
  await idp?.close();
});

test('jmap-jam reads, searches, flags, moves and sends mail', async () => {
  // The client learns the account id from the session; it is an RFC 8620 Id, not the user name.
  const accountId = await jam.getPrimaryAccount();
  assert.match(accountId, /^[A-Za-z0-9_-]{1,255}$/);
  assert.equal((await jam.session).accounts[accountId]?.name, ALICE);

  const [boxes] = await jam.api.Mailbox.get({ accountId, ids: null });
  const role = (r: string): string => (boxes.list as Result[]).find((m) => m.role === r)!.id;

  // Read: newest first, with the Email/get back-reference built by the client.
  const [read] = await jam.requestMany((t) => {
    const q = t.Email.query({ accountId, filter: { inMailbox: role('inbox') }, sort: [{ property: 'receivedAt', isAscending: false }] });
    const g = t.Email.get({ accountId, ids: q.$ref('/ids'), properties: ['subject', 'keywords', 'mailboxIds'] });
    return { q, g };
  });
  assert.deepEqual(new Set((read.g!.list as Result[]).map((e) => e.subject)), new Set(['Invoice 42', 'Lunch']));

  // Search.
  const [found] = await jam.api.Email.query({ accountId, filter: { text: 'invoice' } });
  assert.equal(found.ids.length, 1);
  const invoice = found.ids[0]!;

  // Flag and move in one Email/set.
  const [set] = await jam.api.Email.set({
    accountId,
    update: { [invoice]: { 'keywords/$flagged': true, [`mailboxIds/${role('inbox')}`]: null, [`mailboxIds/${role('archive')}`]: true } },
  });
  assert.deepEqual(set.updated, { [invoice]: null });
  const [after] = await jam.api.Email.get({ accountId, ids: [invoice], properties: ['keywords', 'mailboxIds'] });
  assert.deepEqual(after.list[0]!.keywords, { $flagged: true });
  assert.deepEqual(after.list[0]!.mailboxIds, { [role('archive')]: true });

  // Send: a draft, submitted, moved to Sent and marked seen by onSuccessUpdateEmail.
  const [identities] = await jam.api.Identity.get({ accountId });
  const identityId = identities.list[0]!.id;
  // (Two requests: jam keys responses by call id, so the implicit Email/set answer that RFC 8621
  // §7.5 puts under the EmailSubmission/set call id would hide the submission's own response.)
  const [draft] = await jam.api.Email.set({
    accountId,
    create: {
      d1: {
        mailboxIds: { [role('drafts')]: true },
        keywords: { $draft: true },
        from: [{ name: 'Alice', email: ALICE }],
        to: [{ name: 'Bob', email: BOB }],
        subject: 'Sent with jmap-jam',
        textBody: [{ partId: 'b', type: 'text/plain' }],
        bodyValues: { b: { value: 'Hello Bob!' } },
      },
    },
  });
  const createdDraft = (draft.created as Record<string, { id: string }> | undefined)?.d1;
  assert.ok(createdDraft, JSON.stringify(draft));
  const emailId = createdDraft.id;
  const [submission] = await jam.api.EmailSubmission.set({
    accountId,
    create: { s1: { identityId, emailId } },
    onSuccessUpdateEmail: { '#s1': { [`mailboxIds/${role('drafts')}`]: null, [`mailboxIds/${role('sent')}`]: true, 'keywords/$draft': null, 'keywords/$seen': true } },
  });
  assert.ok(submission.created?.s1?.id, JSON.stringify(submission));
  const [mine] = await jam.api.Email.get({ accountId, ids: [emailId], properties: ['mailboxIds', 'keywords'] });
  assert.deepEqual(mine.list[0]!.mailboxIds, { [role('sent')]: true });
  assert.deepEqual(mine.list[0]!.keywords, { $seen: true });

  // Bob got it in his INBOX.
  const bobInbox = (await h.store.findMailboxByRole(BOB, 'inbox'))!;
  const q = await h.store.queryEmails(BOB, { filter: { kind: 'inMailbox', mailboxId: bobInbox.id } });
  const [bobMail] = await h.store.getEmails(BOB, q.ids, { parsed: true });
  assert.equal(bobMail?.parsed?.subject, 'Sent with jmap-jam');
});

test('jmap-jam uploads and downloads a blob', async () => {
  const accountId = await jam.getPrimaryAccount();
  const up = await jam.uploadBlob(accountId, new Blob(['hello blob']));
  const res = await jam.downloadBlob({ accountId, blobId: up.blobId, mimeType: 'text/plain', fileName: 'x.txt' });
  assert.equal(await res.text(), 'hello blob');
});

test('a bad bearer token is refused with 401 and a Bearer challenge', async () => {
  const res = await fetch(`${h.url}/jmap/session`, { headers: { Authorization: 'Bearer not.a.token' } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
});
