// JMAP sharing (RFC 8621 §1.6.2 and §2, RFC 9670) through one whole Tessera (runServe), with real
// clients: Python's imaplib for IMAP SETACL/GETACL/DELETEACL, nodemailer for SMTP delivery, and JMAP
// over HTTP (fetch, EventSource, WebSocket). alice shares her INBOX with bob read-only over IMAP and
// a second mailbox over JMAP shareWith; bob finds alice's account in his session, reads her mail
// there, is refused every write, gets a push for her new mail, and loses all of it when she revokes.
// carol, without rights, sees nothing of alice's account.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, JmapClient, USING, startTessera, writeE2eConf, type E2eConf, type E2eServer, type Invocation } from './harness.js';
import { imaplibSteps, type ImaplibResult } from './sharing/python-clients.js';
import { openEventSource, openWebSocketPush, submit } from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const PW = 'jmap-sharing-e2e-secret';
const PUSH_MS = 10_000;
const PRINCIPALS = [...USING, 'urn:ietf:params:jmap:principals'];

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let alice: JmapClient;
let bob: JmapClient;
let carol: JmapClient;
let aliceId: string;
let bobId: string;

const imaplib = (user: string, steps: unknown[][]): Promise<ImaplibResult[]> => imaplibSteps(srv.endpoints.imap, user, PW, steps);

async function deliverToAlice(subject: string): Promise<void> {
  const sent = await submit({ port: srv.endpoints.smtpMx }, { from: 'x@remote.example', to: ALICE, subject, text: `body of ${subject}`, messageId: `<${randomUUID()}@remote.example>` });
  assert.equal(sent.rejected.length, 0);
}

async function call(client: JmapClient, name: string, args: Record<string, unknown>, using: readonly string[] = USING): Promise<Invocation> {
  const [response] = await client.call([[name, args, '0']], using);
  assert.ok(response, `${name}: no response`);
  return response;
}

async function accounts(client: JmapClient): Promise<Record<string, { name: string; isPersonal: boolean; isReadOnly: boolean; accountCapabilities: Record<string, unknown> }>> {
  return (await client.session()).body.accounts as never;
}

async function mailboxId(client: JmapClient, accountId: string, name: string): Promise<string> {
  const [, body] = await call(client, 'Mailbox/get', { accountId, ids: null });
  const box = (body.list as Array<{ id: string; name: string }>).find((m) => m.name === name);
  assert.ok(box, `${name} in ${JSON.stringify(body)}`);
  return box.id;
}

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  for (const u of [ALICE, BOB, CAROL]) await srv.running.context.users.add(u, PW);
  alice = JmapClient.basic(srv.endpoints.jmap, ALICE, PW);
  bob = JmapClient.basic(srv.endpoints.jmap, BOB, PW);
  carol = JmapClient.basic(srv.endpoints.jmap, CAROL, PW);
  aliceId = (await alice.session()).accountId;
  bobId = (await bob.session()).accountId;
  await deliverToAlice('before sharing');
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('JMAP sharing', () => {
  it("before any share, alice's account is unknown to bob: not in his session, accountNotFound", async () => {
    assert.deepEqual(Object.keys(await accounts(bob)), [bobId]);
    const [name, body] = await call(bob, 'Mailbox/get', { accountId: aliceId, ids: null });
    assert.deepEqual([name, body.type], ['error', 'accountNotFound']);
  });

  it("after IMAP SETACL lr, bob's session lists alice's account: not personal, read-only, with mail", async () => {
    const [set] = await imaplib(ALICE, [['setacl', 'INBOX', BOB, 'lr']]);
    assert.equal(set![0], 'OK');
    const account = (await accounts(bob))[aliceId];
    assert.ok(account, 'alice account in bob session');
    assert.equal(account.name, ALICE);
    assert.equal(account.isPersonal, false);
    assert.equal(account.isReadOnly, true);
    assert.ok('urn:ietf:params:jmap:mail' in account.accountCapabilities);
    assert.deepEqual(account.accountCapabilities['urn:ietf:params:jmap:principals:owner'], { accountIdForPrincipal: bobId, principalId: aliceId });
    // bob's own account stays his primary one.
    assert.equal((await bob.session()).accountId, bobId);
  });

  it("bob reads alice's shared INBOX: only that mailbox, its rights, its mail, threads and snippets", async () => {
    const [, boxes] = await call(bob, 'Mailbox/get', { accountId: aliceId, ids: null });
    const list = boxes.list as Array<{ id: string; role: string | null; myRights: Record<string, boolean>; isSubscribed: boolean }>;
    assert.deepEqual(list.map((m) => m.role), ['inbox'], 'only the shared mailbox is visible');
    assert.equal(list[0]!.myRights.mayReadItems, true);
    assert.equal(list[0]!.myRights.mayAddItems, false);
    assert.equal(list[0]!.myRights.maySetSeen, false);
    assert.equal(list[0]!.myRights.mayAdmin, false);
    const [, query] = await call(bob, 'Email/query', { accountId: aliceId, filter: { text: 'before sharing' } });
    const ids = query.ids as string[];
    assert.equal(ids.length, 1);
    const [, got] = await call(bob, 'Email/get', { accountId: aliceId, ids, properties: ['subject', 'mailboxIds', 'threadId'] });
    const email = (got.list as Array<{ subject: string; mailboxIds: Record<string, boolean>; threadId: string }>)[0]!;
    assert.equal(email.subject, 'before sharing');
    assert.deepEqual(Object.keys(email.mailboxIds), [list[0]!.id]);
    const [, threads] = await call(bob, 'Thread/get', { accountId: aliceId, ids: [email.threadId] });
    assert.deepEqual((threads.list as Array<{ emailIds: string[] }>)[0]!.emailIds, ids);
    const [, snippets] = await call(bob, 'SearchSnippet/get', { accountId: aliceId, filter: { text: 'sharing' }, emailIds: ids });
    assert.match(String((snippets.list as Array<{ subject: string }>)[0]!.subject), /<mark>sharing<\/mark>/);
    // Alice's own view is untouched: she holds every right and sees all her mailboxes.
    const [, own] = await call(alice, 'Mailbox/get', { accountId: aliceId, ids: null });
    assert.ok((own.list as unknown[]).length > 1);
  });

  it("what alice did not share answers bob as what does not exist: Mailbox/get, Email/get, Email/query, Mailbox/set", async () => {
    const [appended] = await imaplib(ALICE, [['append', 'Sent', 'Subject: private\r\n\r\nnot shared\r\n']]);
    assert.equal(appended![0], 'OK');
    const sent = await mailboxId(alice, aliceId, 'Sent');
    const [, own] = await call(alice, 'Email/query', { accountId: aliceId, filter: { inMailbox: sent } });
    const privateEmail = (own.ids as string[])[0]!;
    assert.ok(privateEmail);
    const [, boxes] = await call(bob, 'Mailbox/get', { accountId: aliceId, ids: [sent, 'mnosuch'] });
    assert.deepEqual([boxes.list, boxes.notFound], [[], [sent, 'mnosuch']]);
    const [, emails] = await call(bob, 'Email/get', { accountId: aliceId, ids: [privateEmail, 'Mnosuch'] });
    assert.deepEqual([emails.list, emails.notFound], [[], [privateEmail, 'Mnosuch']]);
    const [, inSent] = await call(bob, 'Email/query', { accountId: aliceId, filter: { inMailbox: sent } });
    const [, inMissing] = await call(bob, 'Email/query', { accountId: aliceId, filter: { inMailbox: 'mnosuch' } });
    assert.deepEqual(inSent, inMissing);
    const [, set] = await call(bob, 'Mailbox/set', { accountId: aliceId, update: { [sent]: { name: 'x' }, mnosuch: { name: 'x' } }, destroy: [sent, 'mnosuch'] });
    const types = (r: unknown): string[] => Object.values(r as Record<string, { type: string }>).map((e) => e.type);
    assert.deepEqual([types(set.notUpdated), types(set.notDestroyed)], [['notFound', 'notFound'], ['notFound', 'notFound']]);
  });

  it('bob cannot write in the read-only share: keywords, new emails, destroy and shareWith are forbidden', async () => {
    const [, query] = await call(bob, 'Email/query', { accountId: aliceId });
    const emailId = (query.ids as string[])[0]!;
    const inbox = await mailboxId(bob, aliceId, 'INBOX');
    const [, upd] = await call(bob, 'Email/set', { accountId: aliceId, update: { [emailId]: { 'keywords/$seen': true } } });
    assert.equal((upd.notUpdated as Record<string, { type: string }>)[emailId]?.type, 'forbidden');
    const [, del] = await call(bob, 'Email/set', { accountId: aliceId, destroy: [emailId] });
    assert.equal((del.notDestroyed as Record<string, { type: string }>)[emailId]?.type, 'forbidden');
    const [, created] = await call(bob, 'Email/set', {
      accountId: aliceId,
      create: { c: { mailboxIds: { [inbox]: true }, subject: 'intruder', textBody: [{ partId: '1', type: 'text/plain' }], bodyValues: { '1': { value: 'x' } } } },
    });
    assert.equal((created.notCreated as Record<string, { type: string }>).c?.type, 'forbidden');
    const [, share] = await call(bob, 'Mailbox/set', { accountId: aliceId, update: { [inbox]: { [`shareWith/${bobId}`]: { mayReadItems: true, mayAddItems: true } } } });
    assert.equal((share.notUpdated as Record<string, { type: string }>)[inbox]?.type, 'forbidden');
    // Nothing changed: alice's IMAP ACL still grants bob "lr" only.
    const [get] = await imaplib(ALICE, [['getacl', 'INBOX']]);
    assert.match(get![1].join(' '), new RegExp(`${BOB} lr\\b`));
    // Methods of capabilities a shared account does not offer are refused as such.
    const [name, body] = await call(bob, 'Identity/get', { accountId: aliceId }, [...USING, 'urn:ietf:params:jmap:submission']);
    assert.deepEqual([name, body.type], ['error', 'accountNotSupportedByMethod']);
  });

  it("bob's share notification records alice's SETACL; he may destroy it, never create or change one", async () => {
    const [, got] = await call(bob, 'ShareNotification/get', { accountId: bobId, ids: null }, PRINCIPALS);
    const list = got.list as Array<{ id: string; changedBy: { principalId: string; email: string }; objectType: string; objectAccountId: string; objectId: string; name: string; oldRights: unknown; newRights: Record<string, boolean> }>;
    assert.equal(list.length, 1);
    const n = list[0]!;
    assert.deepEqual([n.changedBy.principalId, n.changedBy.email, n.objectType, n.objectAccountId, n.objectId, n.name, n.oldRights], [aliceId, ALICE, 'Mailbox', aliceId, await mailboxId(bob, aliceId, 'INBOX'), 'INBOX', null]);
    assert.equal(n.newRights.mayReadItems, true);
    assert.equal(n.newRights.mayAddItems, false);
    const [, set] = await call(bob, 'ShareNotification/set', { accountId: bobId, create: { x: { name: 'forged' } }, update: { [n.id]: { name: 'changed' } }, destroy: [n.id] }, PRINCIPALS);
    assert.deepEqual(set.destroyed, [n.id]);
    assert.ok((set.notCreated as Record<string, unknown>).x);
    assert.ok((set.notUpdated as Record<string, unknown>)[n.id]);
    const [, after] = await call(bob, 'ShareNotification/changes', { accountId: bobId, sinceState: got.state }, PRINCIPALS);
    assert.deepEqual(after.destroyed, [n.id]);
    // Someone else's notifications are out of reach: alice's account is not bob's to read them in.
    const [name, body] = await call(bob, 'ShareNotification/get', { accountId: aliceId, ids: null }, PRINCIPALS);
    assert.deepEqual([name, body.type], ['error', 'accountNotSupportedByMethod']);
  });

  it('carol, without rights, learns nothing of alice: not in her session, accountNotFound', async () => {
    assert.deepEqual(Object.keys(await accounts(carol)), [(await carol.session()).accountId]);
    const [name, body] = await call(carol, 'Email/query', { accountId: aliceId });
    assert.deepEqual([name, body.type], ['error', 'accountNotFound']);
    // The same answer as for an account that does not exist at all.
    assert.deepEqual(await call(carol, 'Email/query', { accountId: 'nosuchaccount' }), [name, body, '0']);
  });

  it("bob's EventSource and WebSocket get a StateChange for alice's account when mail arrives in the shared INBOX", async () => {
    const es = await openEventSource(srv.endpoints.jmap, bob.authorization);
    const ws = await openWebSocketPush(srv.endpoints.jmap, bob.authorization);
    try {
      // The first event names every account bob may see, alice's with its current states.
      const first = await es.changes.next((c) => aliceId in c.changed, PUSH_MS, "initial states with alice's account");
      const before = first.changed[aliceId]!.Email;
      await deliverToAlice('while bob listens');
      const change = await es.changes.next((c) => c.changed[aliceId]?.Email !== undefined && c.changed[aliceId]!.Email !== before, PUSH_MS, 'EventSource push');
      await ws.changes.next((c) => c.changed[aliceId]?.Email !== undefined && c.changed[aliceId]!.Email !== before, PUSH_MS, 'WebSocket push');
      // The pushed state is the one Email/changes continues from: the new mail is created there.
      const [, changes] = await call(bob, 'Email/changes', { accountId: aliceId, sinceState: before });
      assert.equal(changes.newState, change.changed[aliceId]!.Email);
      assert.equal((changes.created as string[]).length, 1);
    } finally {
      es.close();
      ws.close();
    }
  });

  it('Principal/get and Principal/query list the users; alice shares a mailbox over JMAP shareWith, seen by IMAP GETACL', async () => {
    const [, principals] = await call(alice, 'Principal/get', { accountId: aliceId, ids: null }, PRINCIPALS);
    const list = principals.list as Array<{ id: string; name: string; email: string; type: string }>;
    for (const [user, id] of [[ALICE, aliceId], [BOB, bobId]] as const) {
      assert.deepEqual(list.find((p) => p.email === user), { id, type: 'individual', name: user, description: null, email: user, timeZone: null, capabilities: {}, accounts: null });
    }
    assert.ok(list.some((p) => p.email === CAROL));
    const [, found] = await call(alice, 'Principal/query', { accountId: aliceId, filter: { email: BOB } }, PRINCIPALS);
    assert.deepEqual(found.ids, [bobId]);

    const [, created] = await call(alice, 'Mailbox/set', { accountId: aliceId, create: { t: { name: 'Team', shareWith: { [bobId]: { mayReadItems: true, maySetSeen: true } } } } });
    const teamId = (created.created as Record<string, { id: string }>).t?.id;
    assert.ok(teamId, JSON.stringify(created));
    const [get] = await imaplib(ALICE, [['getacl', 'Team']]);
    assert.match(get![1].join(' '), new RegExp(`${BOB} lrs\\b`));
    const [, shown] = await call(alice, 'Mailbox/get', { accountId: aliceId, ids: [teamId], properties: ['shareWith'] });
    assert.deepEqual(Object.keys((shown.list as Array<{ shareWith: Record<string, unknown> }>)[0]!.shareWith), [bobId]);
    // IMAP SETACL is seen by JMAP: alice adds "i" for bob, shareWith shows mayAddItems.
    const [set] = await imaplib(ALICE, [['setacl', 'Team', BOB, 'lrsi']]);
    assert.equal(set![0], 'OK');
    const [, again] = await call(alice, 'Mailbox/get', { accountId: aliceId, ids: [teamId], properties: ['shareWith'] });
    assert.equal((again.list as Array<{ shareWith: Record<string, Record<string, boolean>> }>)[0]!.shareWith[bobId]!.mayAddItems, true);
    // bob now sees both shared mailboxes, and the account is no longer read-only.
    const [, boxes] = await call(bob, 'Mailbox/get', { accountId: aliceId, ids: null });
    assert.deepEqual((boxes.list as Array<{ name: string }>).map((m) => m.name).sort(), ['INBOX', 'Team']);
    assert.equal((await accounts(bob))[aliceId]?.isReadOnly, false);
    // A share with someone who is no principal is refused.
    const [, bad] = await call(alice, 'Mailbox/set', { accountId: aliceId, update: { [teamId]: { 'shareWith/nosuchprincipal': { mayReadItems: true } } } });
    assert.equal((bad.notUpdated as Record<string, { type: string }>)[teamId]?.type, 'invalidProperties');
  });

  it("a share made while carol listens starts her push for alice's account at once", async () => {
    const carolId = (await carol.session()).accountId;
    const es = await openEventSource(srv.endpoints.jmap, carol.authorization);
    try {
      const teamId = await mailboxId(alice, aliceId, 'Team');
      const [, shared] = await call(alice, 'Mailbox/set', { accountId: aliceId, update: { [teamId]: { [`shareWith/${carolId}`]: { mayReadItems: true } } } });
      assert.deepEqual(Object.keys(shared.updated as object), [teamId]);
      // Her own account's ShareNotification state changes, then alice's account is pushed.
      await es.changes.next((c) => c.changed[carolId]?.ShareNotification !== undefined, PUSH_MS, "carol's ShareNotification push");
      await es.changes.next((c) => aliceId in c.changed, PUSH_MS, "alice's account in carol's push");
      const [, query] = await call(carol, 'Email/query', { accountId: aliceId });
      assert.deepEqual(query.ids, [], 'Team holds no mail yet');
    } finally {
      es.close();
      await call(alice, 'Mailbox/set', { accountId: aliceId, update: { [await mailboxId(alice, aliceId, 'Team')]: { [`shareWith/${carolId}`]: null } } });
    }
  });

  it('revoking (IMAP DELETEACL, JMAP shareWith null) ends access at once: accountNotFound, and push stops', async () => {
    const es = await openEventSource(srv.endpoints.jmap, bob.authorization);
    try {
      await es.changes.next((c) => aliceId in c.changed, PUSH_MS, "initial states with alice's account");
      const teamId = await mailboxId(alice, aliceId, 'Team');
      const [del] = await imaplib(ALICE, [['deleteacl', 'INBOX', BOB]]);
      assert.equal(del![0], 'OK');
      const [, cleared] = await call(alice, 'Mailbox/set', { accountId: aliceId, update: { [teamId]: { shareWith: null } } });
      assert.deepEqual(Object.keys(cleared.updated as object), [teamId]);
      const [name, body] = await call(bob, 'Email/query', { accountId: aliceId });
      assert.deepEqual([name, body.type], ['error', 'accountNotFound']);
      assert.deepEqual(Object.keys(await accounts(bob)), [bobId]);

      // New mail for alice, then (a barrier) for bob: bob's own push arrives, alice's never does.
      es.changes.clear();
      await deliverToAlice('after revocation');
      const sent = await submit({ port: srv.endpoints.smtpMx }, { from: 'x@remote.example', to: BOB, subject: 'barrier', text: 'b', messageId: `<${randomUUID()}@remote.example>` });
      assert.equal(sent.rejected.length, 0);
      await es.changes.next((c) => c.changed[bobId]?.Email !== undefined, PUSH_MS, "bob's own push (barrier)");
      assert.deepEqual(es.changes.all().filter((c) => aliceId in c.changed), [], 'no push for the revoked account');
    } finally {
      es.close();
    }
  });
});
