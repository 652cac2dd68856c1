// A Tessera restart on the same data directory loses nothing: users, mailboxes, messages, flags,
// UIDVALIDITY and JMAP ids/states are as they were, and new mail gets UIDs above the old ones.
import { canConnect } from '../support/tcp.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, JmapClient, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, openEventSource, openWebSocketPush, submit, watchMailbox } from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'restart-e2e-secret';
const auth = { user: ALICE, pass: ALICE_PW };

let idp: TestIdp;
let conf: E2eConf;
let first: E2eServer | undefined;
let second: E2eServer | undefined;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  conf = await writeE2eConf(idp);
});

after(async () => {
  await first?.running.stop();
  await second?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

interface Snapshot {
  paths: string[];
  subscribed: string[];
  inboxValidity: bigint;
  inboxUidNext: number;
  projectsValidity: bigint;
  uid: number;
  projectsUid: number;
  flags: string[];
  emailId: string;
  keywords: Record<string, boolean>;
  mailboxIds: Record<string, boolean>;
  emailState: string;
  mailboxState: string;
}

async function snapshot(srv: E2eServer, messageId: string): Promise<Snapshot> {
  const client = await imapConnect(srv.endpoints.imap, auth);
  try {
    const list = await client.list();
    const paths = list.map((m) => m.path).sort();
    const subscribed = list.filter((m) => m.subscribed).map((m) => m.path).sort();
    const inbox = await client.mailboxOpen('INBOX');
    const [uid] = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    assert.ok(uid, 'message found in INBOX');
    const msg = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    assert.ok(msg);
    const inboxValidity = inbox.uidValidity;
    const inboxUidNext = inbox.uidNext;
    const projects = await client.mailboxOpen('Projects');
    const [projectsUid] = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    assert.ok(projectsUid, 'copy found in Projects');
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const [query, get, mailboxes] = await jmap.call([
      ['Email/query', { accountId, filter: { header: ['Message-ID', messageId] } }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['keywords', 'mailboxIds'] }, 'g'],
      ['Mailbox/get', { accountId, ids: [], properties: ['id'] }, 'm'],
    ]);
    assert.equal(get![0], 'Email/get', JSON.stringify([query, get]));
    const [email] = get![1].list as Array<{ id: string; keywords: Record<string, boolean>; mailboxIds: Record<string, boolean> }>;
    assert.ok(email, 'JMAP finds the message');
    return {
      paths,
      subscribed,
      inboxValidity,
      inboxUidNext,
      projectsValidity: projects.uidValidity,
      uid,
      projectsUid,
      flags: [...(msg.flags ?? [])].sort(),
      emailId: email.id,
      keywords: email.keywords,
      mailboxIds: email.mailboxIds,
      emailState: get![1].state as string,
      mailboxState: mailboxes![1].state as string,
    };
  } finally {
    await client.logout();
  }
}

/** Nothing accepts connections on the port (the server is down). */
const refused = async (port: number): Promise<boolean> => !(await canConnect(port));

describe('restart on the same data directory', () => {
  const messageId = `<restart-${randomUUID()}@${DOMAIN}>`;
  let before: Snapshot;

  it('keeps users, mailboxes, messages, flags, UIDVALIDITY and JMAP ids and states', async () => {
    first = await startTessera(conf);
    await first.running.context.users.add(ALICE, ALICE_PW);
    // Mail from the Internet: the MX listener, no AUTH.
    const info = await submit({ port: first.endpoints.smtpMx }, { from: 'someone@elsewhere.test', to: ALICE, subject: 'before restart', text: 'kept\n', messageId });
    assert.deepEqual(info.rejected, []);

    const client = await imapConnect(first.endpoints.imap, auth);
    try {
      await client.mailboxCreate('Projects');
      await client.mailboxSubscribe('Projects');
      await client.mailboxOpen('INBOX');
      const [uid] = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
      assert.ok(uid, 'delivered over MX');
      assert.equal(await client.messageFlagsAdd(String(uid), ['\\Seen', '\\Answered', '$Label1'], { uid: true }), true);
      assert.ok(await client.messageCopy(String(uid), 'Projects', { uid: true }));
    } finally {
      await client.logout();
    }
    before = await snapshot(first, messageId);
    assert.deepEqual(before.flags, ['$Label1', '\\Answered', '\\Seen']);
    assert.ok(before.paths.includes('Projects') && before.subscribed.includes('Projects'), JSON.stringify(before.paths));
    assert.equal(Object.keys(before.mailboxIds).length, 2, 'JMAP sees the message in INBOX and Projects');

    // Stop with live clients: an IMAP session in IDLE and both JMAP push channels are closed by
    // the server (within shutdown.timeout), and stop() does not hang on them.
    const idler = await watchMailbox(first.endpoints.imap, auth, 'INBOX');
    const basic = 'Basic ' + Buffer.from(`${ALICE}:${ALICE_PW}`).toString('base64');
    const es = await openEventSource(first.endpoints.jmap, basic);
    const ws = await openWebSocketPush(first.endpoints.jmap, basic);
    const oldImapPort = first.endpoints.imap;
    try {
      await withTimeout(first.running.stop(), 20_000, 'stop() with live IMAP and JMAP clients');
      await withTimeout(Promise.all([idler.closed, es.ended, ws.ended]), 5000, 'the clients to be disconnected');
    } finally {
      es.close();
      ws.close();
      await idler.close();
    }
    first = undefined;
    assert.equal(await refused(oldImapPort), true, 'the first server is gone');

    second = await startTessera(conf);
    const afterRestart = await snapshot(second, messageId);
    assert.deepEqual(afterRestart, before);

    // Nothing changed, so the pre-restart JMAP state is still a valid base for /changes.
    const jmap = JmapClient.basic(second.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const changes = await jmap.one('Email/changes', { accountId, sinceState: before.emailState });
    assert.deepEqual([changes.created, changes.updated, changes.destroyed], [[], [], []]);
  });

  it('gives a message delivered after the restart a higher UID, and token logins still work', async () => {
    assert.ok(second && before, 'the restart test ran');
    const token = await idp.accessToken(ALICE);
    const nextId = `<restart-next-${randomUUID()}@${DOMAIN}>`;
    await submit(
      { port: second.endpoints.smtps, implicitTls: true, auth: { type: 'OAuth2', user: ALICE, accessToken: token } },
      { from: ALICE, to: ALICE, subject: 'after restart', text: 'new\n', messageId: nextId },
    );
    const client = await imapConnect(second.endpoints.imap, { user: ALICE, accessToken: token });
    try {
      const inbox = await client.mailboxOpen('INBOX');
      assert.equal(inbox.uidValidity, before.inboxValidity);
      const [uid] = (await client.search({ header: { 'message-id': nextId } }, { uid: true })) || [];
      assert.ok(uid, 'delivered after restart');
      assert.ok(uid > before.uid && uid >= before.inboxUidNext, `new UID ${uid} is above the old ones (UIDNEXT was ${before.inboxUidNext})`);
    } finally {
      await client.logout();
    }
    const jmap = JmapClient.bearer(second.endpoints.jmap, token);
    const { accountId } = await jmap.session();
    const changes = await jmap.one('Email/changes', { accountId, sinceState: before.emailState });
    assert.equal((changes.created as string[]).length, 1, JSON.stringify(changes));
  });
});
