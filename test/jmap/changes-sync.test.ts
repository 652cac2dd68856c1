// A mobile-style JMAP client that keeps its cache only through /changes (RFC 8620 §5.2: small
// maxChanges, following hasMoreChanges, then /get of created + updated, dropping destroyed) stays
// identical to a full /get of Mailbox, Email and Thread after deliveries (the real delivery core),
// flag changes, moves, copies, deletes and mailbox changes made over real IMAP (imapflow) and over
// JMAP. Its cached window of an Email/query (newest first in the inbox) is kept with
// Email/queryChanges (RFC 8620 §5.6: remove `removed`, insert `added` by index, upToId the last
// cached id) and must equal the head of a fresh query each time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { accountIdOf, call, message, startHarness, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { imapConfig } from '../imap/harness.js';
import { ImapServer } from '../../src/imap/server.js';
import { AuthService } from '../../src/auth/service.js';
import type { DeliveryService } from '../../src/core/delivery.js';
import { join } from 'node:path';

const ALICE = 'alice@example.com';
const TYPES = ['Mailbox', 'Email', 'Thread'] as const;
type TypeName = (typeof TYPES)[number];
/** Small on purpose: every sync has to follow hasMoreChanges several times. */
const MAX_CHANGES = 2;
const WINDOW = 4;
const EMAIL_PROPERTIES = ['threadId', 'mailboxIds', 'keywords', 'subject', 'receivedAt', 'size'];
const WINDOW_QUERY = (inbox: string): Record<string, unknown> => ({ filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }] });

type Obj = Record<string, unknown> & { id: string };

let h: Harness;
let imapServer: ImapServer;
let imap: ImapFlow;
let delivery: DeliveryService;
let accountId: string;
let inbox: string;
let archive: string;

async function jmap(name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const [[rname, body]] = (await call(h, [[name, { accountId, ...args }, 'c']])) as [string, Record<string, any>, string][];
  assert.equal(rname, name, JSON.stringify(body));
  return body;
}

async function getObjects(type: TypeName, ids: string[] | null): Promise<{ list: Obj[]; notFound: string[]; state: string }> {
  const args: Record<string, unknown> = { ids };
  if (type === 'Email') args.properties = EMAIL_PROPERTIES;
  const body = await jmap(`${type}/get`, args);
  return { list: body.list as Obj[], notFound: body.notFound as string[], state: body.state as string };
}

/** The whole account as a fresh client would load it: every mailbox, email and thread. */
async function fullSnapshot(): Promise<Record<TypeName, Map<string, Obj>>> {
  const mailboxes = await getObjects('Mailbox', null);
  const all = await jmap('Email/query', {});
  const emails = await getObjects('Email', all.ids as string[]);
  const threads = await getObjects('Thread', [...new Set(emails.list.map((e) => e.threadId as string))]);
  // RFC 8620 §5.1: ids null is every thread of the account, which are the threads of its emails.
  const everyThread = await getObjects('Thread', null);
  assert.deepEqual(everyThread.list.map((t) => t.id).sort(), threads.list.map((t) => t.id).sort(), 'Thread/get with ids null');
  const byId = (l: Obj[]): Map<string, Obj> => new Map(l.map((o) => [o.id, o]));
  return { Mailbox: byId(mailboxes.list), Email: byId(emails.list), Thread: byId(threads.list) };
}

/** The client under test: initial load once, then /changes only. */
class ChangesClient {
  readonly cache: Record<TypeName, Map<string, Obj>> = { Mailbox: new Map(), Email: new Map(), Thread: new Map() };
  readonly states = {} as Record<TypeName, string>;
  /** /changes calls made by the last sync, per type. */
  rounds = {} as Record<TypeName, number>;
  window: string[] = [];
  queryState = '';

  async load(): Promise<void> {
    // States first: anything that changes while loading is seen again by the first sync.
    for (const type of TYPES) this.states[type] = (await getObjects(type, [])).state;
    const snap = await fullSnapshot();
    for (const type of TYPES) for (const [id, o] of snap[type]) this.cache[type].set(id, o);
    const q = await jmap('Email/query', { ...WINDOW_QUERY(inbox), limit: WINDOW });
    assert.equal(q.canCalculateChanges, true, 'the inbox query by receivedAt can be kept with Email/queryChanges');
    this.window = q.ids as string[];
    this.queryState = q.queryState as string;
  }

  async sync(): Promise<void> {
    for (const type of TYPES) {
      this.rounds[type] = 0;
      for (let more = true; more; ) {
        const c = await jmap(`${type}/changes`, { sinceState: this.states[type], maxChanges: MAX_CHANGES });
        this.rounds[type]++;
        assert.ok(c.created.length + c.updated.length + c.destroyed.length <= MAX_CHANGES, `${type}/changes honours maxChanges`);
        assert.equal(c.oldState, this.states[type]);
        for (const id of c.destroyed as string[]) this.cache[type].delete(id);
        const wanted = [...(c.created as string[]), ...(c.updated as string[])];
        if (wanted.length > 0) {
          const got = await getObjects(type, wanted);
          for (const o of got.list) this.cache[type].set(o.id, o);
          // Created then destroyed within the span: gone by now.
          for (const id of got.notFound) this.cache[type].delete(id);
        }
        this.states[type] = c.newState as string;
        more = c.hasMoreChanges === true;
        assert.ok(this.rounds[type] < 1000, `${type}/changes keeps saying hasMoreChanges`);
      }
    }
    await this.syncWindow();
  }

  /** RFC 8620 §5.6 client algorithm over the cached head of the query, then refill it to WINDOW ids. */
  private async syncWindow(): Promise<void> {
    const upTo = this.window.at(-1);
    const qc = await jmap('Email/queryChanges', { ...WINDOW_QUERY(inbox), sinceQueryState: this.queryState, ...(upTo ? { upToId: upTo } : {}) });
    assert.equal(qc.oldQueryState, this.queryState);
    const removed = new Set(qc.removed as string[]);
    const ids = this.window.filter((id) => !removed.has(id));
    for (const { id, index } of [...(qc.added as Array<{ id: string; index: number }>)].sort((a, b) => a.index - b.index)) {
      // Past the end of what is cached lie results the client never had: a gap, so stop there.
      if (index > ids.length) break;
      ids.splice(index, 0, id);
    }
    this.window = ids.slice(0, WINDOW);
    this.queryState = qc.newQueryState as string;
    if (this.window.length < WINDOW) {
      const more = await jmap('Email/query', { ...WINDOW_QUERY(inbox), position: this.window.length, limit: WINDOW - this.window.length });
      if (more.queryState === this.queryState) this.window.push(...(more.ids as string[]));
    }
  }
}

let client: ChangesClient;
/** Message-IDs delivered before the client's first load. */
const early: string[] = [];

/** The cache equals a fresh full load, and the cached window is the head of a fresh query. */
async function assertInSync(step: string): Promise<void> {
  await client.sync();
  const truth = await fullSnapshot();
  for (const type of TYPES) {
    const sort = (m: Map<string, Obj>): Obj[] => [...m.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(sort(client.cache[type]), sort(truth[type]), `${step}: ${type} cache differs from a full /get`);
  }
  const fresh = await jmap('Email/query', { ...WINDOW_QUERY(inbox), limit: WINDOW });
  assert.deepEqual(client.window, (fresh.ids as string[]).slice(0, client.window.length), `${step}: the cached query window`);
  assert.ok(client.window.length === Math.min(WINDOW, (await jmap('Email/query', { ...WINDOW_QUERY(inbox), calculateTotal: true })).total), `${step}: window refilled`);
}

let sequence = 0;
/** Delivers one message to Alice through the delivery core; returns its Message-ID (without <>). */
async function deliver(subject: string, opts: { inReplyTo?: string } = {}): Promise<string> {
  const messageId = `sync-${++sequence}@example.net`;
  const extra = opts.inReplyTo ? `In-Reply-To: <${opts.inReplyTo}>\r\nReferences: <${opts.inReplyTo}>` : undefined;
  const bytes = message({ subject, messageId, from: 'Carol <carol@example.net>', ...(extra ? { extra } : {}), date: new Date(Date.UTC(2026, 10, 1, 0, sequence)).toUTCString() });
  const result = await delivery.deliver({
    from: 'carol@example.net',
    recipients: [await delivery.route(ALICE)],
    bytes,
    trace: { helo: 'client.example', peerAddress: '192.0.2.7', protocol: 'ESMTP', by: 'tessera.test' },
  });
  assert.ok(result.outcomes.every((o) => o.status === 'delivered'), JSON.stringify(result.outcomes));
  return messageId;
}

/** The email (JMAP id) with this Message-ID; there must be exactly one. */
async function emailOf(messageId: string): Promise<string> {
  const q = await jmap('Email/query', { filter: { header: ['Message-ID', `<${messageId}>`] } });
  assert.equal(q.ids.length, 1, `one email with Message-ID ${messageId}`);
  return q.ids[0] as string;
}

/** Its UID in the mailbox open over IMAP. */
async function uidOf(messageId: string): Promise<string> {
  const uids = await imap.search({ header: { 'message-id': `<${messageId}>` } }, { uid: true });
  assert.ok(uids && uids.length === 1, `one message with Message-ID ${messageId} in the open mailbox`);
  return String(uids[0]);
}

before(async () => {
  h = await startHarness();
  delivery = localDelivery(h.store, h.users, h.logger);
  await h.store.ensureAccount(ALICE);
  accountId = await accountIdOf(h);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  archive = (await h.store.findMailboxByRole(ALICE, 'archive'))!.id;
  const auth = new AuthService({ users: h.users, logger: h.logger });
  imapServer = new ImapServer({ auth, store: h.store, events: h.bus, logger: h.logger, sessions: h.sessions, spoolDir: join(h.dir, 'spool', 'imap') }, imapConfig());
  await imapServer.start();
  imap = new ImapFlow({ host: '127.0.0.1', port: imapServer.ports()[0]!, secure: false, auth: { user: ALICE, pass: 'alice-pw' }, logger: false });
  await imap.connect();
  for (let i = 0; i < 3; i++) early.push(await deliver(`before load ${i}`));
  client = new ChangesClient();
  await client.load();
});

after(async () => {
  await imap?.logout();
  await imapServer?.stop(new Date(Date.now() + 500));
  await h?.close();
});

test('a /changes-only client and its Email/queryChanges window stay identical to a full load', async () => {
  const root = await deliver('thread root');
  // Same base subject and a reference: both join the root's thread (RFC 8621 §3), updating it.
  const reply1 = await deliver('Re: thread root', { inReplyTo: root });
  const reply2 = await deliver('Re: thread root', { inReplyTo: reply1 });
  const batch: string[] = [];
  for (let i = 0; i < 4; i++) batch.push(await deliver(`batch ${i}`));
  await assertInSync('deliveries');
  assert.ok(client.rounds.Email > 1, 'the Email sync followed hasMoreChanges');
  const thread = client.cache.Thread.get(client.cache.Email.get(await emailOf(reply2))!.threadId as string);
  assert.equal((thread?.emailIds as string[] | undefined)?.length, 3, 'root and both replies share one thread');

  await imap.mailboxOpen('INBOX');
  await imap.messageFlagsAdd(await uidOf(batch[0]!), ['\\Seen', '\\Flagged'], { uid: true });
  await imap.messageFlagsAdd(await uidOf(reply1), ['$label1'], { uid: true });
  await assertInSync('IMAP flags');

  await jmap('Email/set', {
    update: {
      [await emailOf(batch[1]!)]: { 'keywords/$seen': true, 'keywords/$flagged': true },
      [await emailOf(batch[0]!)]: { 'keywords/$flagged': null },
    },
  });
  await assertInSync('JMAP keywords');

  await imap.messageMove(await uidOf(batch[2]!), 'Archive', { uid: true });
  await jmap('Email/set', { update: { [await emailOf(batch[3]!)]: { mailboxIds: { [archive]: true } } } });
  await assertInSync('moves over IMAP and JMAP');

  await imap.mailboxCreate('Projects');
  await imap.messageCopy(await uidOf(reply2), 'Projects', { uid: true });
  await jmap('Mailbox/set', { create: { j: { name: 'From JMAP' } } });
  await assertInSync('IMAP create + copy, JMAP create');

  await imap.mailboxRename('Projects', 'Projects 2026');
  await imap.messageFlagsAdd(await uidOf(early[0]!), ['\\Deleted'], { uid: true });
  await imap.messageDelete(await uidOf(early[1]!), { uid: true });
  // Destroying a reply shrinks the thread: Thread/changes reports it updated.
  await jmap('Email/set', { destroy: [await emailOf(reply1)] });
  await assertInSync('IMAP rename + expunge, JMAP destroy');

  const fromJmap = (await jmap('Mailbox/query', { filter: { name: 'From JMAP' } })).ids[0] as string;
  await jmap('Mailbox/set', { destroy: [fromJmap] });
  await imap.mailboxDelete('Projects 2026');
  for (let i = 0; i < 3; i++) await deliver(`late ${i}`);
  await assertInSync('mailbox deletes over both, more deliveries');

  // An email created and destroyed between two syncs: /get says notFound and the client drops it.
  await jmap('Email/set', { destroy: [await emailOf(await deliver('ephemeral'))] });
  await jmap('Email/set', { destroy: [await emailOf(root)] });
  await assertInSync('created and destroyed between syncs, thread root destroyed');
});

test('Email/query answers canCalculateChanges false where Email/queryChanges cannot answer (collapseThreads)', async () => {
  const q = await jmap('Email/query', { ...WINDOW_QUERY(inbox), collapseThreads: true });
  assert.equal(q.canCalculateChanges, false);
  await deliver('collapse probe');
  const [[name, body]] = (await call(h, [['Email/queryChanges', { accountId, ...WINDOW_QUERY(inbox), collapseThreads: true, sinceQueryState: q.queryState }, 'c']])) as [string, any, string][];
  assert.deepEqual([name, body.type], ['error', 'cannotCalculateChanges']);
});
