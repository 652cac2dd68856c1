// One whole Tessera (runServe with every protocol) on one store: mail submitted over SMTP shows up
// in an IMAP IDLE, in JMAP push (EventSource and WebSocket) and in JMAP queries; flags set in one
// protocol are seen in the other; a JMAP move is an IMAP EXPUNGE + a new UID in Archive, and an IMAP
// expunge is a JMAP destroy. The flow runs twice: with passwords, then with OIDC bearer tokens from a
// real OpenID provider on every protocol (IMAP OAUTHBEARER, SMTP XOAUTH2, JMAP Bearer). Further
// groups cover the reverse directions, QRESYNC resync, byte identity, concurrent flag updates,
// JMAP submission and vacation replies, all through the same running server.
//
// E2E_LOG=<file> writes the server's JSON log there at the end, for diagnosing a failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { ImapFlow, type ExpungeEvent, type FlagsEvent } from 'imapflow';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { DOMAIN, Inbox, JmapClient, USING, startTessera, withTimeout, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import {
  emailChanged,
  imapConnect,
  openEventSource,
  openWebSocketPush,
  submit,
  watchMailbox,
  type ImapAuth,
  type StateChange,
  type Submission,
} from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-e2e-secret';
const BOB = `bob@${DOMAIN}`;
const BOB_PW = 'bob-e2e-secret';
/** Generous bound for "within a few seconds": push and IDLE normally answer in milliseconds. */
const PUSH_MS = 10_000;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOB }] });
  conf = await writeE2eConf(idp);
  srv = await startTessera(conf);
  await srv.running.context.users.add(ALICE, ALICE_PW);
  await srv.running.context.users.add(BOB, BOB_PW);
});

after(async () => {
  const logFile = process.env['E2E_LOG'];
  if (logFile && srv) await writeFile(logFile, srv.log.text());
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

interface Credentials {
  user: string;
  imap: () => Promise<ImapAuth>;
  smtp: () => Promise<Submission['auth']>;
  jmap: () => Promise<JmapClient>;
}

/** The UID of the message with this Message-ID in the open mailbox, or undefined. */
async function uidOf(client: ImapFlow, messageId: string): Promise<number | undefined> {
  const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
  if (!uids) throw new Error('IMAP SEARCH failed');
  assert.ok(uids.length <= 1, `one message with ${messageId}, found UIDs ${uids.join(',')}`);
  return uids[0];
}

async function flagsOf(client: ImapFlow, uid: number): Promise<string[]> {
  const msg = await client.fetchOne(String(uid), { flags: true, uid: true }, { uid: true });
  if (!msg) throw new Error(`IMAP FETCH found no UID ${uid}`);
  return withoutRecent(msg.flags);
}

/** \Recent belongs to whichever session saw the message first (and is gone in IMAP4rev2). */
function withoutRecent(flags: Set<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f !== '\\Recent').sort();
}

async function mailboxByRole(jmap: JmapClient, accountId: string, role: string): Promise<{ id: string; name: string }> {
  const got = await jmap.one('Mailbox/get', { accountId, ids: null, properties: ['name', 'role', 'parentId'] });
  const box = (got.list as Array<{ id: string; name: string; role: string | null }>).find((m) => m.role === role);
  assert.ok(box, `a mailbox with role ${role}`);
  return box;
}

async function emailState(jmap: JmapClient, accountId: string): Promise<string> {
  return (await jmap.one('Email/get', { accountId, ids: [], properties: ['id'] })).state as string;
}

function crossProtocolFlow(label: string, creds: () => Credentials): void {
  describe(`${label}: one message through SMTP, IMAP and JMAP`, () => {
    const messageId = `<e2e-${randomUUID()}@${DOMAIN}>`;
    const subject = `e2e ${label} ${randomUUID().slice(0, 8)}`;
    let c: Credentials;
    let jmap: JmapClient;
    let accountId: string;
    let inbox: { id: string; name: string };
    let archive: { id: string; name: string };
    let emailId: string;
    let inboxUid: number;
    let archiveUid: number;
    let pushSources: Array<{ name: string; changes: { clear(): void; next(p: (s: StateChange) => boolean, ms: number, what: string): Promise<StateChange> }; close(): void }> = [];

    before(async () => {
      c = creds();
      jmap = await c.jmap();
      ({ accountId } = await jmap.session());
      // Asking for the mailboxes creates the account's special-use set on first use.
      inbox = await mailboxByRole(jmap, accountId, 'inbox');
      archive = await mailboxByRole(jmap, accountId, 'archive');
      pushSources = [
        { name: 'EventSource', ...(await openEventSource(jmap.baseUrl, jmap.authorization)) },
        { name: 'WebSocket', ...(await openWebSocketPush(jmap.baseUrl, jmap.authorization)) },
      ];
    });

    after(() => {
      for (const p of pushSources) p.close();
    });

    /** Both push channels report a new Email state, after whatever `action` does. */
    async function expectEmailPush(action: () => Promise<unknown>, what: string): Promise<void> {
      const before = await emailState(jmap, accountId);
      for (const p of pushSources) p.changes.clear();
      await action();
      await Promise.all(
        pushSources.map((p) => p.changes.next((s) => emailChanged(s, accountId, before), PUSH_MS, `${p.name} StateChange for Email after ${what}`)),
      );
    }

    it('a message submitted over SMTP reaches IMAP IDLE, both JMAP push channels and Email/query', async () => {
      const watcher = await watchMailbox(srv.endpoints.imap, await c.imap(), 'INBOX');
      try {
        const before = watcher.client.mailbox ? watcher.client.mailbox.exists : 0;
        await expectEmailPush(async () => {
          const info = await submit(
            { port: srv.endpoints.submission, auth: await c.smtp() },
            { from: c.user, to: c.user, subject, text: `Sent by nodemailer at ${new Date().toISOString()}\n`, messageId },
          );
          assert.deepEqual(info.rejected, []);
          assert.match(info.response, /^250 /);
        }, 'SMTP delivery');
        const exists = await watcher.updates.next((u) => u.kind === 'exists', PUSH_MS, 'IMAP EXISTS during IDLE');
        assert.equal(exists.kind === 'exists' && exists.data.count, before + 1);
      } finally {
        await watcher.close();
      }

      const [query, get] = await jmap.call([
        ['Email/query', { accountId, filter: { inMailbox: inbox.id, header: ['Message-ID', messageId] } }, 'q'],
        ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'messageId', 'mailboxIds', 'keywords', 'from'] }, 'g'],
      ]);
      assert.equal(query![0], 'Email/query', JSON.stringify(query));
      assert.equal((query![1].ids as string[]).length, 1, JSON.stringify(query![1]));
      assert.equal(get![0], 'Email/get', JSON.stringify(get));
      const [email] = get![1].list as Array<Record<string, any>>;
      assert.ok(email);
      assert.equal(email.subject, subject);
      assert.deepEqual(email.messageId, [messageId.slice(1, -1)]);
      assert.deepEqual(email.mailboxIds, { [inbox.id]: true });
      assert.deepEqual(email.keywords, {});
      assert.equal(email.from[0].email, c.user);
      emailId = email.id as string;

      // A session opened now finds it too.
      const reader = await imapConnect(srv.endpoints.imap, await c.imap());
      try {
        await reader.mailboxOpen('INBOX');
        const uid = await uidOf(reader, messageId);
        assert.ok(uid, 'IMAP SEARCH HEADER Message-ID finds the delivered message');
        inboxUid = uid;
      } finally {
        await reader.logout();
      }
    });

    it('\\Seen set over IMAP shows as $seen in JMAP and is pushed', async () => {
      assert.ok(emailId, 'the delivery test ran');
      const actor = await imapConnect(srv.endpoints.imap, await c.imap());
      try {
        await actor.mailboxOpen('INBOX');
        await expectEmailPush(async () => {
          assert.equal(await actor.messageFlagsAdd(String(inboxUid), ['\\Seen'], { uid: true }), true);
        }, 'IMAP STORE +FLAGS \\Seen');
      } finally {
        await actor.logout();
      }
      const got = await jmap.one('Email/get', { accountId, ids: [emailId], properties: ['keywords'] });
      assert.deepEqual((got.list as Array<{ keywords: Record<string, boolean> }>)[0]?.keywords, { $seen: true });
    });

    it('$flagged set over JMAP reaches an IMAP IDLE as FETCH FLAGS and a fresh IMAP FETCH', async () => {
      assert.ok(emailId, 'the delivery test ran');
      const watcher = await watchMailbox(srv.endpoints.imap, await c.imap(), 'INBOX');
      try {
        const set = await jmap.one('Email/set', { accountId, update: { [emailId]: { 'keywords/$flagged': true } } });
        assert.deepEqual(set.notUpdated ?? null, null, JSON.stringify(set));
        assert.ok(emailId in (set.updated as Record<string, unknown>));
        const flags = await watcher.updates.next((u) => u.kind === 'flags', PUSH_MS, 'IMAP FETCH FLAGS during IDLE');
        assert.ok(flags.kind === 'flags');
        assert.deepEqual(withoutRecent(flags.data.flags), ['\\Flagged', '\\Seen']);
        if (flags.data.uid !== undefined) assert.equal(flags.data.uid, inboxUid);
      } finally {
        await watcher.close();
      }
      const reader = await imapConnect(srv.endpoints.imap, await c.imap());
      try {
        await reader.mailboxOpen('INBOX');
        assert.deepEqual(await flagsOf(reader, inboxUid), ['\\Flagged', '\\Seen']);
      } finally {
        await reader.logout();
      }
    });

    it('a JMAP move to Archive is an EXPUNGE in the INBOX IDLE and a new UID in Archive', async () => {
      assert.ok(emailId, 'the delivery test ran');
      const probe = await imapConnect(srv.endpoints.imap, await c.imap());
      const archiveStatus = await probe.status(archive.name, { uidNext: true, messages: true });
      await probe.logout();
      assert.ok(archiveStatus && archiveStatus.uidNext !== undefined, `IMAP STATUS of ${archive.name}`);

      const watcher = await watchMailbox(srv.endpoints.imap, await c.imap(), 'INBOX');
      const countBefore = watcher.client.mailbox ? watcher.client.mailbox.exists : 0;
      try {
        const set = await jmap.one('Email/set', {
          accountId,
          update: { [emailId]: { [`mailboxIds/${inbox.id}`]: null, [`mailboxIds/${archive.id}`]: true } },
        });
        assert.ok(emailId in ((set.updated as Record<string, unknown> | null) ?? {}), JSON.stringify(set));
        const expunge = await watcher.updates.next((u) => u.kind === 'expunge', PUSH_MS, 'IMAP EXPUNGE during IDLE');
        assert.ok(expunge.kind === 'expunge');
        if (expunge.data.seq !== undefined) assert.ok(expunge.data.seq >= 1 && expunge.data.seq <= countBefore);
        if (expunge.data.uid !== undefined) assert.equal(expunge.data.uid, inboxUid);
      } finally {
        await watcher.close();
      }

      const reader = await imapConnect(srv.endpoints.imap, await c.imap());
      try {
        await reader.mailboxOpen('INBOX');
        assert.equal(await uidOf(reader, messageId), undefined, 'gone from INBOX');
        await reader.mailboxOpen(archive.name);
        const uid = await uidOf(reader, messageId);
        assert.ok(uid, `found in ${archive.name}`);
        assert.ok(uid >= archiveStatus.uidNext!, `UID ${uid} in Archive is new (UIDNEXT was ${archiveStatus.uidNext})`);
        assert.deepEqual(await flagsOf(reader, uid), ['\\Flagged', '\\Seen'], 'flags travel with the message');
        archiveUid = uid;
      } finally {
        await reader.logout();
      }
      const got = await jmap.one('Email/get', { accountId, ids: [emailId], properties: ['mailboxIds'] });
      assert.deepEqual((got.list as Array<{ mailboxIds: Record<string, boolean> }>)[0]?.mailboxIds, { [archive.id]: true });
    });

    it('UID EXPUNGE over IMAP is a destroyed id in JMAP Email/changes', async () => {
      assert.ok(archiveUid, 'the move test ran');
      const since = await emailState(jmap, accountId);
      const actor = await imapConnect(srv.endpoints.imap, await c.imap());
      try {
        await actor.mailboxOpen(archive.name);
        await expectEmailPush(async () => {
          // STORE +FLAGS \Deleted then UID EXPUNGE of just that UID (UIDPLUS).
          assert.equal(await actor.messageDelete(String(archiveUid), { uid: true }), true);
        }, 'IMAP UID EXPUNGE');
        assert.equal(await uidOf(actor, messageId), undefined);
      } finally {
        await actor.logout();
      }
      const changes = await jmap.one('Email/changes', { accountId, sinceState: since });
      assert.deepEqual(changes.destroyed, [emailId], JSON.stringify(changes));
      const got = await jmap.one('Email/get', { accountId, ids: [emailId], properties: ['id'] });
      assert.deepEqual(got.notFound, [emailId]);
    });
  });
}

crossProtocolFlow('passwords', () => ({
  user: ALICE,
  imap: async () => ({ user: ALICE, pass: ALICE_PW }),
  smtp: async () => ({ user: ALICE, pass: ALICE_PW }),
  jmap: async () => JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW),
}));

crossProtocolFlow('OIDC tokens', () => ({
  user: BOB,
  // A fresh token per connection, as a mail client refreshing its token would present.
  imap: async () => ({ user: BOB, accessToken: await idp.accessToken(BOB) }),
  smtp: async () => ({ type: 'OAuth2', user: BOB, accessToken: await idp.accessToken(BOB) }),
  jmap: async () => JmapClient.bearer(srv.endpoints.jmap, await idp.accessToken(BOB)),
}));

describe('the other direction: IMAP moves and mailboxes, JMAP destroys', () => {
  it('IMAP MOVE is a mailboxIds change in JMAP; JMAP destroy is an EXPUNGE in IMAP IDLE', async () => {
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const inbox = await mailboxByRole(jmap, accountId, 'inbox');
    const trash = await mailboxByRole(jmap, accountId, 'trash');
    const messageId = `<e2e-move-${randomUUID()}@${DOMAIN}>`;
    await submit(
      { port: srv.endpoints.submission, auth: { user: ALICE, pass: ALICE_PW } },
      { from: ALICE, to: ALICE, subject: 'to be moved by IMAP', text: 'move me\n', messageId },
    );
    const [, got] = await jmap.call([
      ['Email/query', { accountId, filter: { header: ['Message-ID', messageId] } }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['mailboxIds'] }, 'g'],
    ]);
    const emailId = (got![1].list as Array<{ id: string }>)[0]?.id;
    assert.ok(emailId, 'delivered and visible over JMAP');
    const since = await emailState(jmap, accountId);

    const actor = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    try {
      await actor.mailboxOpen('INBOX');
      const uid = await uidOf(actor, messageId);
      assert.ok(uid);
      const moved = await actor.messageMove(String(uid), trash.name, { uid: true });
      assert.ok(moved, 'IMAP MOVE succeeded');
    } finally {
      await actor.logout();
    }
    const changes = await jmap.one('Email/changes', { accountId, sinceState: since });
    assert.deepEqual(changes.updated, [emailId], JSON.stringify(changes));
    assert.deepEqual(changes.destroyed, [], 'a move keeps the JMAP id');
    const after = await jmap.one('Email/get', { accountId, ids: [emailId], properties: ['mailboxIds'] });
    assert.deepEqual((after.list as Array<{ mailboxIds: Record<string, boolean> }>)[0]?.mailboxIds, { [trash.id]: true });
    assert.notEqual(trash.id, inbox.id);

    const watcher = await watchMailbox(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW }, trash.name);
    try {
      const destroyed = await jmap.one('Email/set', { accountId, destroy: [emailId] });
      assert.deepEqual(destroyed.destroyed, [emailId], JSON.stringify(destroyed));
      await watcher.updates.next((u) => u.kind === 'expunge', PUSH_MS, 'EXPUNGE in the Trash IDLE');
    } finally {
      await watcher.close();
    }
  });

  it('a mailbox created and renamed over IMAP is a Mailbox change in JMAP, and one created in JMAP is listed by IMAP', async () => {
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const since = (await jmap.one('Mailbox/get', { accountId, ids: [], properties: ['id'] })).state as string;
    const es = await openEventSource(jmap.baseUrl, jmap.authorization);
    const imap = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    try {
      es.changes.clear();
      await imap.mailboxCreate('Receipts');
      await es.changes.next((s) => s.changed[accountId]?.['Mailbox'] !== undefined && s.changed[accountId]?.['Mailbox'] !== since, PUSH_MS, 'a Mailbox StateChange');
      await imap.mailboxRename('Receipts', 'Receipts 2026');
      const changes = await jmap.one('Mailbox/changes', { accountId, sinceState: since });
      assert.equal((changes.created as string[]).length, 1, JSON.stringify(changes));
      const created = (changes.created as string[])[0]!;
      const got = await jmap.one('Mailbox/get', { accountId, ids: [created], properties: ['name', 'parentId'] });
      assert.deepEqual((got.list as Array<{ name: string; parentId: string | null }>)[0], { id: created, name: 'Receipts 2026', parentId: null });

      const made = await jmap.one('Mailbox/set', { accountId, create: { m: { name: 'From JMAP', parentId: created } } });
      assert.ok((made.created as Record<string, unknown> | null)?.['m'], JSON.stringify(made));
      const listed = await imap.list();
      const paths = listed.map((m) => m.path);
      const delimiter = listed.find((m) => m.path === 'Receipts 2026')?.delimiter ?? '/';
      assert.ok(paths.includes(`Receipts 2026${delimiter}From JMAP`), `IMAP LIST shows the JMAP child: ${paths.join(', ')}`);
    } finally {
      es.close();
      await imap.logout();
    }
  });
});

describe('an IMAP client that was offline while JMAP changed things', () => {
  it('resynchronises with QRESYNC: VANISHED (EARLIER) for a JMAP destroy, FETCH FLAGS for a JMAP keyword', async () => {
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const ids = [`<e2e-qr-a-${randomUUID()}@${DOMAIN}>`, `<e2e-qr-b-${randomUUID()}@${DOMAIN}>`];
    for (const messageId of ids) {
      await submit(
        { port: srv.endpoints.submission, auth: { user: ALICE, pass: ALICE_PW } },
        { from: ALICE, to: ALICE, subject: 'qresync', text: 'qresync\n', messageId },
      );
    }
    const first = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW }, { qresync: true });
    let uidValidity: bigint;
    let highestModseq: bigint;
    let uids: number[];
    try {
      const box = await first.mailboxOpen('INBOX');
      assert.ok(box.highestModseq !== undefined, 'CONDSTORE/QRESYNC: SELECT reports HIGHESTMODSEQ');
      uidValidity = box.uidValidity;
      highestModseq = box.highestModseq;
      uids = [];
      for (const messageId of ids) {
        const uid = await uidOf(first, messageId);
        assert.ok(uid);
        uids.push(uid);
      }
    } finally {
      await first.logout();
    }

    const found = await jmap.one('Email/query', { accountId, filter: { inMailbox: (await mailboxByRole(jmap, accountId, 'inbox')).id, subject: 'qresync' } });
    const get = await jmap.one('Email/get', { accountId, ids: found.ids, properties: ['messageId'] });
    const byMessageId = new Map((get.list as Array<{ id: string; messageId: string[] }>).map((e) => [`<${e.messageId[0]}>`, e.id]));
    const [flagged, destroyed] = ids.map((m) => byMessageId.get(m)!);
    assert.ok(flagged && destroyed);
    await jmap.one('Email/set', { accountId, update: { [flagged]: { 'keywords/$flagged': true } } });
    await jmap.one('Email/set', { accountId, destroy: [destroyed] });

    const second = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW }, { qresync: true });
    const vanished: ExpungeEvent[] = [];
    const flags: FlagsEvent[] = [];
    second.on('expunge', (e: ExpungeEvent) => vanished.push(e));
    second.on('flags', (e: FlagsEvent) => flags.push(e));
    try {
      // The SELECT (QRESYNC ...) response carries the changes; they are all in before it completes.
      await second.mailboxOpen('INBOX', { uidValidity, changedSince: highestModseq });
      assert.ok(vanished.some((e) => e.vanished && e.earlier && e.uid === uids[1]), `VANISHED (EARLIER) ${uids[1]}: ${JSON.stringify(vanished)}`);
      const change = flags.find((f) => f.uid === uids[0]);
      assert.ok(change, `FETCH FLAGS for UID ${uids[0]}`);
      assert.ok(change.flags.has('\\Flagged'));
      assert.ok(!flags.some((f) => f.uid === uids[1]), 'nothing about the vanished message but VANISHED');
    } finally {
      await second.logout();
    }
  });
});

describe('message bytes across protocols', () => {
  let attachmentPart: { size: number; expected: number } | undefined;

  it('IMAP BODY[] and the JMAP blob are the same bytes, and an attachment downloads intact', async () => {
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const messageId = `<e2e-bytes-${randomUUID()}@${DOMAIN}>`;
    const attachment = randomBytes(200_000);
    const subject = 'Grüße — 東京 ✓';
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: srv.endpoints.submission,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: ALICE, pass: ALICE_PW },
    });
    try {
      await transport.sendMail({
        from: ALICE,
        to: ALICE,
        subject,
        text: 'Voilà, the report.\n',
        messageId,
        attachments: [{ filename: 'report.bin', content: attachment, contentType: 'application/octet-stream' }],
      });
    } finally {
      transport.close();
    }

    const imap = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    let source: Buffer;
    try {
      await imap.mailboxOpen('INBOX');
      const uid = await uidOf(imap, messageId);
      assert.ok(uid);
      const msg = await imap.fetchOne(String(uid), { source: true, envelope: true, size: true }, { uid: true });
      assert.ok(msg && msg.source);
      source = msg.source;
      assert.equal(msg.size, source.length, 'RFC822.SIZE is the size of BODY[]');
      assert.equal(msg.envelope?.subject, subject, 'the encoded UTF-8 subject decodes in the IMAP envelope');
      const head = source.subarray(0, 2000).toString('latin1');
      assert.match(head, /^Return-Path: <alice@example\.test>\r\nReceived: from /, 'final delivery prepends Return-Path and Received');
    } finally {
      await imap.logout();
    }

    const [, got] = await jmap.call([
      ['Email/query', { accountId, filter: { header: ['Message-ID', messageId] } }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['blobId', 'size', 'subject', 'attachments'] }, 'g'],
    ]);
    const email = (got![1].list as Array<Record<string, any>>)[0];
    assert.ok(email, JSON.stringify(got));
    assert.equal(email.subject, subject);
    assert.equal(email.size, source.length);
    const download = async (blobId: string, name: string, type: string): Promise<Buffer> => {
      const res = await fetch(`${jmap.baseUrl}/download/${encodeURIComponent(accountId)}/${encodeURIComponent(blobId)}/${name}?type=${encodeURIComponent(type)}`, {
        headers: { Authorization: jmap.authorization },
      });
      assert.equal(res.status, 200, `download of ${name}`);
      return Buffer.from(await res.arrayBuffer());
    };
    assert.ok((await download(email.blobId, 'message.eml', 'message/rfc822')).equals(source), 'the JMAP blob is BODY[]');
    const [part] = email.attachments as Array<{ blobId: string; name: string; size: number; type: string }>;
    assert.ok(part, 'the attachment is listed');
    assert.equal(part.name, 'report.bin');
    assert.ok((await download(part.blobId, 'report.bin', part.type)).equals(attachment), 'the decoded attachment is the original');
    attachmentPart = { size: part.size, expected: attachment.length };
  });

  // RFC 8621 §4.1.4: EmailBodyPart.size is "the size, in octets, of the raw data after content
  // transfer decoding", i.e. of what the blobId downloads (computed once at delivery by the store).
  it('reports an attachment’s size as the octets its blob downloads', () => {
    assert.ok(attachmentPart, 'the bytes test ran');
    assert.equal(attachmentPart.size, attachmentPart.expected);
  });
});

describe('JMAP submission to another local user', () => {
  it('reaches the recipient’s IMAP IDLE, and the sender’s copy moves from Drafts to Sent as IMAP sees it', async () => {
    const alice = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await alice.session();
    const drafts = await mailboxByRole(alice, accountId, 'drafts');
    const sent = await mailboxByRole(alice, accountId, 'sent');
    const messageId = `e2e-submission-${randomUUID()}@${DOMAIN}`;
    const created = await alice.one('Email/set', {
      accountId,
      create: {
        d: {
          mailboxIds: { [drafts.id]: true },
          keywords: { $draft: true },
          from: [{ email: ALICE }],
          to: [{ email: BOB }],
          subject: 'composed in JMAP',
          messageId: [messageId],
          textBody: [{ partId: 'p', type: 'text/plain' }],
          bodyValues: { p: { value: 'Sent with EmailSubmission/set.' } },
        },
      },
    });
    const emailId = (created.created as Record<string, { id: string }> | null)?.['d']?.id;
    assert.ok(emailId, JSON.stringify(created));

    const bobWatcher = await watchMailbox(srv.endpoints.imap, { user: BOB, accessToken: await idp.accessToken(BOB) }, 'INBOX');
    try {
      const before = bobWatcher.client.mailbox ? bobWatcher.client.mailbox.exists : 0;
      const responses = await alice.call(
        [
          [
            'EmailSubmission/set',
            {
              accountId,
              create: { s: { identityId: 'default', emailId } },
              onSuccessUpdateEmail: { '#s': { [`mailboxIds/${drafts.id}`]: null, [`mailboxIds/${sent.id}`]: true, 'keywords/$draft': null } },
            },
            's',
          ],
        ],
        [...USING, 'urn:ietf:params:jmap:submission'],
      );
      const submission = responses.find((r) => r[0] === 'EmailSubmission/set');
      assert.ok(submission && (submission[1].created as Record<string, unknown> | null)?.['s'], JSON.stringify(responses));
      const exists = await bobWatcher.updates.next((u) => u.kind === 'exists', PUSH_MS, 'EXISTS in the recipient’s IDLE');
      assert.equal(exists.kind === 'exists' && exists.data.count, before + 1);
    } finally {
      await bobWatcher.close();
    }

    const bob = await imapConnect(srv.endpoints.imap, { user: BOB, pass: BOB_PW });
    try {
      await bob.mailboxOpen('INBOX');
      assert.ok(await uidOf(bob, `<${messageId}>`), 'the recipient finds it by Message-ID');
    } finally {
      await bob.logout();
    }
    const sender = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    try {
      await sender.mailboxOpen(drafts.name);
      assert.equal(await uidOf(sender, `<${messageId}>`), undefined, 'no longer in Drafts');
      await sender.mailboxOpen(sent.name);
      const uid = await uidOf(sender, `<${messageId}>`);
      assert.ok(uid, 'in Sent');
      assert.deepEqual(await flagsOf(sender, uid), [], 'no $draft (\\Draft) on the sent copy');
    } finally {
      await sender.logout();
    }
  });
});

describe('concurrent flag updates from both protocols', () => {
  it('loses none: every IMAP keyword and every JMAP keyword set at the same time is kept', async () => {
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const messageId = `<e2e-race-${randomUUID()}@${DOMAIN}>`;
    await submit({ port: srv.endpoints.submission, auth: { user: ALICE, pass: ALICE_PW } }, { from: ALICE, to: ALICE, subject: 'race', text: 'race\n', messageId });
    const [, got] = await jmap.call([
      ['Email/query', { accountId, filter: { header: ['Message-ID', messageId] } }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['id'] }, 'g'],
    ]);
    const emailId = (got![1].list as Array<{ id: string }>)[0]?.id;
    assert.ok(emailId);

    const N = 8;
    const sessions = await Promise.all(Array.from({ length: 4 }, () => imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW })));
    try {
      await Promise.all(sessions.map((s) => s.mailboxOpen('INBOX')));
      const uid = await uidOf(sessions[0]!, messageId);
      assert.ok(uid);
      const imapKeywords = Array.from({ length: N }, (_, i) => `imap${i}`);
      const jmapKeywords = Array.from({ length: N }, (_, i) => `jmap${i}`);
      await Promise.all([
        ...imapKeywords.map((k, i) => sessions[i % sessions.length]!.messageFlagsAdd(String(uid), [k], { uid: true })),
        ...jmapKeywords.map((k) => jmap.one('Email/set', { accountId, update: { [emailId]: { [`keywords/${k}`]: true } } })),
      ]);
      const all = [...imapKeywords, ...jmapKeywords].sort();
      const fresh = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
      try {
        await fresh.mailboxOpen('INBOX');
        assert.deepEqual(await flagsOf(fresh, uid), all);
      } finally {
        await fresh.logout();
      }
      const view = await jmap.one('Email/get', { accountId, ids: [emailId], properties: ['keywords'] });
      assert.deepEqual(Object.keys((view.list as Array<{ keywords: Record<string, boolean> }>)[0]!.keywords).sort(), all);
    } finally {
      await Promise.all(sessions.map((s) => s.logout()));
    }
  });
});

describe('a vacation response set over JMAP', () => {
  it('answers SMTP mail once, and the auto-reply reaches the sender’s IMAP IDLE', async () => {
    const alice = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await alice.session();
    const using = [...USING, 'urn:ietf:params:jmap:vacationresponse'];
    const setVacation = async (patch: Record<string, unknown>): Promise<void> => {
      const [r] = await alice.call([['VacationResponse/set', { accountId, update: { singleton: patch } }, 'v']], using);
      assert.ok(r && r[0] === 'VacationResponse/set' && (r[1].updated as Record<string, unknown> | null)?.['singleton'] !== undefined, JSON.stringify(r));
    };
    await setVacation({ isEnabled: true, subject: 'Away until Monday', textBody: 'I am away; I will answer on Monday.' });
    const bobWatcher = await watchMailbox(srv.endpoints.imap, { user: BOB, pass: BOB_PW }, 'INBOX');
    const original = `<e2e-vacation-${randomUUID()}@${DOMAIN}>`;
    try {
      const before = bobWatcher.client.mailbox ? bobWatcher.client.mailbox.exists : 0;
      await submit({ port: srv.endpoints.submission, auth: { user: BOB, pass: BOB_PW } }, { from: BOB, to: ALICE, subject: 'Lunch?', text: 'Lunch on Friday?\n', messageId: original });
      const exists = await bobWatcher.updates.next((u) => u.kind === 'exists', PUSH_MS, 'the auto-reply in bob’s IDLE');
      assert.equal(exists.kind === 'exists' && exists.data.count, before + 1);
    } finally {
      await bobWatcher.close();
    }
    const bob = await imapConnect(srv.endpoints.imap, { user: BOB, pass: BOB_PW });
    try {
      await bob.mailboxOpen('INBOX');
      const found = await bob.search({ header: { 'in-reply-to': original } }, { uid: true });
      assert.ok(found && found.length === 1, `one reply to ${original}`);
      const reply = await bob.fetchOne(String(found[0]), { envelope: true, headers: ['auto-submitted'] }, { uid: true });
      assert.ok(reply);
      assert.equal(reply.envelope?.subject, 'Away until Monday');
      assert.equal(reply.envelope?.from?.[0]?.address, ALICE);
      assert.match(reply.headers?.toString() ?? '', /Auto-Submitted: auto-replied/i);

      // A second message from the same sender in the same absence gets no second reply.
      await submit({ port: srv.endpoints.submission, auth: { user: BOB, pass: BOB_PW } }, { from: BOB, to: ALICE, subject: 'Lunch? (again)', text: '?\n', messageId: `<e2e-vacation-2-${randomUUID()}@${DOMAIN}>` });
      const replies = await bob.search({ header: { 'auto-submitted': 'auto-replied' } }, { uid: true });
      assert.equal(replies && replies.length, 1, 'one reply per sender per period');
    } finally {
      await bob.logout();
      await setVacation({ isEnabled: false });
    }
  });
});

describe('token logins are the real thing', () => {
  it('a token for another user does not open this user’s mailbox on any protocol', async () => {
    const aliceToken = await idp.accessToken(ALICE);
    // IMAP: the token names alice, the login claims bob.
    await assert.rejects(withTimeout(imapConnect(srv.endpoints.imap, { user: BOB, accessToken: aliceToken }), 10_000, 'refused login'));
    // SMTP: same mismatch with XOAUTH2.
    await assert.rejects(
      submit(
        { port: srv.endpoints.submission, auth: { type: 'OAuth2', user: BOB, accessToken: aliceToken } },
        { from: BOB, to: BOB, subject: 'nope', text: 'nope\n', messageId: `<e2e-${randomUUID()}@${DOMAIN}>` },
      ),
    );
    // JMAP: a bearer token for alice gets alice's account, never bob's.
    const { accountId } = await JmapClient.bearer(srv.endpoints.jmap, aliceToken).session();
    const bob = await JmapClient.basic(srv.endpoints.jmap, BOB, BOB_PW).session();
    assert.notEqual(accountId, bob.accountId);
    const res = await fetch(`${srv.endpoints.jmap}/jmap/session`, { headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  it('IMAPS (implicit TLS) takes a token login and sees the same store', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: srv.endpoints.imaps,
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: { user: BOB, accessToken: await idp.accessToken(BOB) },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    await withTimeout(client.connect(), 10_000, 'IMAPS login');
    try {
      const list = await client.list();
      assert.ok(list.some((m) => m.path === 'INBOX'));
      assert.ok(list.some((m) => m.specialUse === '\\Archive'), 'the Archive that JMAP created is there');
    } finally {
      await client.logout();
    }
  });

  it('passwords are refused on the clear IMAP port before STARTTLS (requireSSL)', async () => {
    const socket = connect(srv.endpoints.imap, '127.0.0.1');
    const lines = new Inbox<string>();
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        lines.push(buffer.slice(0, i));
        buffer = buffer.slice(i + 2);
      }
    });
    try {
      await lines.next((l) => l.startsWith('* OK'), PUSH_MS, 'IMAP greeting');
      socket.write('a1 CAPABILITY\r\n');
      const caps = await lines.next((l) => l.startsWith('* CAPABILITY'), PUSH_MS, 'CAPABILITY');
      assert.match(caps, /\bLOGINDISABLED\b/);
      assert.match(caps, /\bSTARTTLS\b/);
      assert.doesNotMatch(caps, /AUTH=PLAIN/);
      await lines.next((l) => l.startsWith('a1 OK'), PUSH_MS, 'CAPABILITY done');
      socket.write(`a2 LOGIN ${ALICE} ${ALICE_PW}\r\n`);
      assert.match(await lines.next((l) => l.startsWith('a2 '), PUSH_MS, 'LOGIN answer'), /^a2 NO /);
    } finally {
      socket.destroy();
    }
  });
});

describe('the JMAP session resource of a whole server', () => {
  it('advertises API, push and WebSocket URLs that a client can use as given', async () => {
    const jmap = JmapClient.bearer(srv.endpoints.jmap, await idp.accessToken(ALICE));
    const { accountId, body } = await jmap.session();
    const apiUrl = body['apiUrl'] as string;
    assert.equal(new URL(apiUrl).origin, srv.endpoints.jmap, `apiUrl ${apiUrl} points at the listener`);
    const res = await fetch(apiUrl, {
      method: 'POST',
      headers: { Authorization: jmap.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls: [['Mailbox/get', { accountId, ids: null, properties: ['role'] }, '0']] }),
    });
    assert.equal(res.status, 200);
    const eventSourceUrl = (body['eventSourceUrl'] as string).replace('{types}', '*').replace('{closeafter}', 'no').replace('{ping}', '0');
    assert.equal(new URL(eventSourceUrl).origin, srv.endpoints.jmap);
    const es = await openEventSource(new URL(eventSourceUrl).origin, jmap.authorization);
    es.close();
    const ws = (body['capabilities'] as Record<string, { url?: string }>)['urn:ietf:params:jmap:websocket'];
    assert.ok(ws?.url, 'the WebSocket capability names its URL');
    assert.equal(new URL(ws.url).host, new URL(srv.endpoints.jmap).host);
    const push = await openWebSocketPush(srv.endpoints.jmap, jmap.authorization);
    push.close();
  });
});

describe('server health after the flows', () => {
  it('logged no error', () => {
    const errors = srv.log
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { level: number; msg?: string })
      .filter((r) => r.level >= 50);
    assert.deepEqual(errors, []);
  });
});
