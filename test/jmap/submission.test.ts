// EmailSubmission through the delivery core: local delivery, the implicit Email/set, and the
// SetErrors for a foreign From, no recipients and unknown local users.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, USING, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { waitFor } from '../support/wait.js';

const ALICE = 'alice@example.com';
const USING_SUB = [...USING, 'urn:ietf:params:jmap:submission'];
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let drafts: string;
let sent: string;

before(async () => {
  h = await startHarness({ delivery: localDelivery });
  await h.store.ensureAccount(ALICE);
  ALICE_ID = await accountIdOf(h);
  drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
  sent = (await h.store.findMailboxByRole(ALICE, 'sent'))!.id;
});
after(() => h.close());

async function draft(fields: Record<string, unknown>): Promise<string> {
  const [[, r]] = (await call(h, [['Email/set', { accountId: ALICE_ID, create: { d: {
    mailboxIds: { [drafts]: true }, subject: 'test', textBody: [{ partId: 'p', type: 'text/plain' }], bodyValues: { p: { value: 'hi' } }, ...fields,
  } } }, '0']])) as any;
  return r.created.d.id;
}

test('a submission delivers locally, hides Bcc, and runs onSuccessUpdateEmail as an implicit Email/set', async () => {
  const emailId = await draft({ from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }], bcc: [{ email: 'alice@example.com' }] });
  const r = (await call(h, [
    ['Identity/get', { accountId: ALICE_ID }, 'i'],
    ['EmailSubmission/set', {
      accountId: ALICE_ID,
      create: { s: { identityId: 'default', emailId } },
      onSuccessUpdateEmail: { '#s': { [`mailboxIds/${drafts}`]: null, [`mailboxIds/${sent}`]: true } },
    }, 's'],
    ['EmailSubmission/get', { accountId: ALICE_ID, ids: ['#s'] }, 'g'],
  ], USING_SUB)) as any;
  assert.equal(r[1][0], 'EmailSubmission/set');
  assert.ok(r[1][1].created?.s?.id, JSON.stringify(r[1][1]));
  assert.equal(r[2][0], 'Email/set', 'the implicit Email/set follows with the same call id');
  assert.equal(r[2][2], 's');
  assert.deepEqual(r[2][1].updated, { [emailId]: null });
  const sub = r[3][1].list[0];
  assert.equal(sub.emailId, emailId);
  assert.equal(sub.undoStatus, 'final');
  assert.deepEqual(Object.keys(sub.deliveryStatus).sort(), ['alice@example.com', 'bob@example.com']);
  // Bob's copy has no Bcc header.
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!;
  const q = await h.store.queryEmails('bob@example.com', { filter: { kind: 'inMailbox', mailboxId: bobInbox.id } });
  const bytes = await h.store.readMessage('bob@example.com', q.ids[0]!);
  assert.doesNotMatch(bytes!.toString(), /^Bcc:/im);
  const [meta] = await h.store.getEmails(ALICE, [emailId]);
  assert.deepEqual(meta!.mailboxIds, [sent]);
});

test('submission errors: foreign From, no recipients, unknown local user, unknown identity', async () => {
  const foreign = await draft({ from: [{ email: 'ceo@example.com' }], to: [{ email: 'bob@example.com' }] });
  const none = await draft({ from: [{ email: ALICE }] });
  const unknown = await draft({ from: [{ email: ALICE }], to: [{ email: 'nobody@example.com' }] });
  const [[, r]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: {
    a: { identityId: 'default', emailId: foreign },
    b: { identityId: 'default', emailId: none },
    c: { identityId: 'default', emailId: unknown },
    d: { identityId: 'nope', emailId: none },
  } }, '0']], USING_SUB)) as any;
  assert.equal(r.notCreated.a.type, 'forbiddenFrom');
  assert.equal(r.notCreated.b.type, 'noRecipients');
  assert.equal(r.notCreated.c.type, 'invalidRecipients');
  assert.deepEqual(r.notCreated.c.invalidRecipients, ['nobody@example.com']);
  assert.equal(r.notCreated.d.type, 'invalidProperties');
});

test('Identity/set may not add another sender address', async () => {
  const [[, r]] = (await call(h, [['Identity/set', { accountId: ALICE_ID, create: {
    ok: { name: 'Alice at work', email: ALICE },
    bad: { name: 'CEO', email: 'ceo@example.com' },
  } }, '0']], USING_SUB)) as any;
  assert.ok(r.created.ok.id);
  assert.equal(r.notCreated.bad.type, 'forbiddenFrom');
});

test('subaddresses: an identity may use one, a submission may send from one, and one reaches its local user', async () => {
  const [[, ids]] = (await call(h, [['Identity/set', { accountId: ALICE_ID, create: {
    news: { name: 'Alice (newsletter)', email: 'Alice+News@example.com' },
    other: { name: 'Not Alice', email: 'bob+alice@example.com' },
  } }, '0']], USING_SUB)) as any;
  assert.ok(ids.created?.news?.id, JSON.stringify(ids));
  assert.equal(ids.notCreated.other.type, 'forbiddenFrom');

  const viaIdentity = await draft({ from: [{ email: 'alice+news@example.com' }], to: [{ email: 'bob+inbox@example.com' }] });
  const viaDefault = await draft({ from: [{ email: 'alice+shop@example.com' }], to: [{ email: 'bob@example.com' }] });
  const [[, r]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: {
    a: { identityId: ids.created.news.id, emailId: viaIdentity },
    b: { identityId: 'default', emailId: viaDefault, envelope: { mailFrom: { email: 'alice+shop@example.com' }, rcptTo: [{ email: 'bob@example.com' }] } },
  } }, '0']], USING_SUB)) as any;
  assert.ok(r.created?.a?.id && r.created?.b?.id, JSON.stringify(r));
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!;
  const subjects = await h.store.queryEmails('bob@example.com', { filter: { kind: 'inMailbox', mailboxId: bobInbox.id } });
  const fromLines: string[] = [];
  for (const id of subjects.ids) fromLines.push(/^From: .*$/im.exec((await h.store.readMessage('bob@example.com', id))!.toString())?.[0] ?? '');
  assert.ok(fromLines.some((l) => l.includes('alice+news@example.com')), fromLines.join('\n'));
  assert.ok(fromLines.some((l) => l.includes('alice+shop@example.com')), fromLines.join('\n'));
});

test('onSuccessDestroyEmail destroys the sent draft', async () => {
  const emailId = await draft({ from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }] });
  const r = (await call(h, [['EmailSubmission/set', {
    accountId: ALICE_ID, create: { s: { identityId: 'default', emailId } }, onSuccessDestroyEmail: ['#s'],
  }, '0']], USING_SUB)) as any;
  assert.ok(r[0][1].created.s);
  assert.equal(r[1][0], 'Email/set');
  assert.deepEqual(r[1][1].destroyed, [emailId]);
  assert.equal((await h.store.getEmails(ALICE, [emailId])).length, 0);
});

test('Quota/get reports the account limits and usage (RFC 9425)', async () => {
  await h.store.setQuota(ALICE, { storage: 10_000_000, messages: 1000 });
  const [[, q]] = (await call(h, [['Quota/get', { accountId: ALICE_ID, ids: null }, 'q']], [...USING, 'urn:ietf:params:jmap:quota'])) as any;
  const byType = Object.fromEntries(q.list.map((x: any) => [x.resourceType, x]));
  assert.equal(byType.octets.hardLimit, 10_000_000);
  assert.equal(byType.count.hardLimit, 1000);
  assert.ok(byType.count.used >= 1);
  assert.equal(byType.octets.scope, 'account');
  assert.deepEqual(byType.octets.types, ['Email']);
});

/** Every id-valued property in a JMAP answer: `id`, `…Id`, `…Ids` (lists, or maps keyed by id), `updated`/`accounts` keys. */
function collectIds(value: unknown, path: string, out: Array<[string, string]>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectIds(v, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}.${key}`;
    if ((key === 'id' || key.endsWith('Id')) && typeof v === 'string') out.push([at, v]);
    else if (key.endsWith('Ids') && Array.isArray(v)) for (const x of v) out.push([at, String(x)]);
    else if (key.endsWith('Ids') && typeof v === 'object' && v !== null) for (const k of Object.keys(v)) out.push([at, k]);
    // Maps keyed by server ids (`created` is keyed by the client's creation ids instead).
    else if (['updated', 'accounts'].includes(key) && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const k of Object.keys(v)) out.push([`${at} key`, k]);
    }
    collectIds(v, at, out);
  }
}

test('every id a client is given is an RFC 8620 §1.2 Id: accounts, mail, threads, blobs, identities, submissions', async () => {
  const session = (await (await fetch(`${h.url}/jmap/session`, { headers: { Authorization: h.basic(ALICE) } })).json()) as Record<string, unknown>;
  const upload = (await (await fetch(`${h.url}/upload/${ALICE_ID}`, {
    method: 'POST', headers: { Authorization: h.basic(ALICE), 'Content-Type': 'application/pdf' }, body: Buffer.from('%PDF-1.4 id check'),
  })).json()) as Record<string, unknown>;
  const emailId = await draft({
    from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }],
    attachments: [{ blobId: upload.blobId, type: 'application/pdf', name: 'a.pdf' }],
  });
  const answers = await call(h, [
    ['Mailbox/get', { accountId: ALICE_ID }, 'm'],
    ['Email/get', { accountId: ALICE_ID, ids: [emailId], properties: ['id', 'blobId', 'threadId', 'mailboxIds', 'attachments', 'textBody', 'bodyStructure'] }, 'e'],
    ['Thread/get', { accountId: ALICE_ID, '#ids': { resultOf: 'e', name: 'Email/get', path: '/list/*/threadId' } }, 't'],
    ['Identity/get', { accountId: ALICE_ID }, 'i'],
    ['EmailSubmission/set', { accountId: ALICE_ID, create: { sub: { identityId: 'default', emailId } } }, 's'],
    ['EmailSubmission/get', { accountId: ALICE_ID, ids: ['#sub'] }, 'g'],
    ['VacationResponse/get', { accountId: ALICE_ID }, 'v'],
    ['Quota/get', { accountId: ALICE_ID }, 'q'],
    ['Email/changes', { accountId: ALICE_ID, sinceState: '0' }, 'c'],
  ], USING_SUB.concat(['urn:ietf:params:jmap:vacationresponse', 'urn:ietf:params:jmap:quota']));
  for (const [name, args] of answers) assert.notEqual(name, 'error', JSON.stringify(args));
  const ids: Array<[string, string]> = [];
  collectIds(session, 'session', ids);
  for (const [k, v] of Object.entries(session.primaryAccounts as Record<string, string>)) ids.push([`session.primaryAccounts.${k}`, v]);
  collectIds(upload, 'upload', ids);
  collectIds(answers, 'responses', ids);
  for (const what of ['accountId', 'blobId', 'threadId', 'mailboxIds', 'identityId', 'emailId']) {
    assert.ok(ids.some(([at]) => at.endsWith(what)), `the answers hold some ${what}`);
  }
  const bad = ids.filter(([, v]) => !/^[A-Za-z0-9_-]{1,255}$/.test(v));
  assert.deepEqual(bad, [], 'ids outside A-Za-z0-9_- or longer than 255 octets');
});

/** Alice's INBOX messages whose text matches, as raw text. */
async function aliceInbox(match: RegExp): Promise<string[]> {
  const inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!;
  const q = await h.store.queryEmails(ALICE, { filter: { kind: 'inMailbox', mailboxId: inbox.id } });
  const out: string[] = [];
  for (const id of q.ids) {
    const text = (await h.store.readMessage(ALICE, id))?.toString() ?? '';
    if (match.test(text)) out.push(text);
  }
  return out;
}

test('envelope parameters (RFC 8621 §7): DSN NOTIFY/ORCPT/RET/ENVID reach delivery; the session advertises DSN and REQUIRETLS', async () => {
  const session = (await (await fetch(`${h.url}/.well-known/jmap`, { headers: { authorization: h.basic(ALICE) } })).json()) as any;
  assert.deepEqual(session.accounts[ALICE_ID].accountCapabilities['urn:ietf:params:jmap:submission'].submissionExtensions, { DSN: [], REQUIRETLS: [] });
  const emailId = await draft({ from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }], subject: 'jmap dsn success' });
  const envelope = {
    mailFrom: { email: ALICE, parameters: { RET: 'HDRS', ENVID: 'jmap+env 1' } },
    rcptTo: [{ email: 'bob@example.com', parameters: { NOTIFY: 'SUCCESS', ORCPT: 'rfc822;bob+orig@example.com' } }],
  };
  const r = (await call(h, [
    ['EmailSubmission/set', { accountId: ALICE_ID, create: { s: { identityId: 'default', emailId, envelope } } }, 's'],
    ['EmailSubmission/get', { accountId: ALICE_ID, ids: ['#s'] }, 'g'],
  ], USING_SUB)) as any;
  assert.ok(r[0][1].created?.s?.id, JSON.stringify(r[0][1]));
  assert.deepEqual(r[1][1].list[0].envelope, envelope);
  const [report] = await waitFor('success report', async () => {
    const found = await aliceInbox(/Action: delivered/);
    return found.length > 0 && found;
  });
  assert.match(report!, /Original-Envelope-Id: jmap\+env 1/);
  assert.match(report!, /Original-Recipient: rfc822;bob\+orig@example\.com/);
  assert.match(report!, /Final-Recipient: rfc822; bob@example\.com/);
});

test('envelope parameters: a malformed or unsupported one is invalidProperties on envelope, and nothing is sent', async () => {
  const emailId = await draft({ from: [{ email: ALICE }], to: [{ email: 'bob@example.com' }], subject: 'jmap bad params' });
  const env = (mailFrom: Record<string, unknown>, rcpt: Record<string, unknown>) => ({ mailFrom: { email: ALICE, parameters: mailFrom }, rcptTo: [{ email: 'bob@example.com', parameters: rcpt }] });
  const [[, r]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: {
    a: { identityId: 'default', emailId, envelope: env({}, { NOTIFY: 'NEVER,SUCCESS' }) },
    b: { identityId: 'default', emailId, envelope: env({ RET: 'ALL' }, {}) },
    c: { identityId: 'default', emailId, envelope: env({ SIZE: '10' }, {}) },
    d: { identityId: 'default', emailId, envelope: env({ ENVID: 'x'.repeat(101) }, {}) },
    e: { identityId: 'default', emailId, envelope: env({ REQUIRETLS: 'yes' }, {}) },
    f: { identityId: 'default', emailId, envelope: env({}, { ORCPT: 'no-type' }) },
  } }, '0']], USING_SUB)) as any;
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) {
    assert.equal(r.notCreated?.[k]?.type, 'invalidProperties', `${k}: ${JSON.stringify(r)}`);
    assert.deepEqual(r.notCreated[k].properties, ['envelope']);
  }
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!;
  const q = await h.store.queryEmails('bob@example.com', { filter: { kind: 'inMailbox', mailboxId: bobInbox.id } });
  for (const id of q.ids) assert.doesNotMatch((await h.store.readMessage('bob@example.com', id))!.toString(), /jmap bad params/);
});

test('envelope parameters: REQUIRETLS and a remote recipient\'s NOTIFY/ORCPT reach the outbound queue item', async () => {
  const emailId = await draft({ from: [{ email: ALICE }], to: [{ email: 'carol@remote.test' }], subject: 'jmap requiretls' });
  const envelope = {
    mailFrom: { email: ALICE, parameters: { REQUIRETLS: null, RET: 'FULL' } },
    rcptTo: [{ email: 'carol@remote.test', parameters: { NOTIFY: 'FAILURE,DELAY', ORCPT: 'rfc822;carol=orig@remote.test' } }],
  };
  const [[, r]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: { s: { identityId: 'default', emailId, envelope } } }, '0']], USING_SUB)) as any;
  assert.ok(r.created?.s?.id, JSON.stringify(r));
  const item = (await h.store.listOutbound()).find((i) => i.recipients.some((x) => x.address === 'carol@remote.test'));
  assert.ok(item, 'queued for carol');
  assert.equal(item.envelope.requireTls, true);
  assert.equal(item.envelope.ret, 'FULL');
  const carol = item.recipients.find((x) => x.address === 'carol@remote.test')!;
  assert.deepEqual(carol.notify, ['FAILURE', 'DELAY']);
  assert.deepEqual(carol.orcpt, { type: 'rfc822', address: 'carol=orig@remote.test' });
});
