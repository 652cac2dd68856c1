// OBJECTID (RFC 8474), PREVIEW (RFC 8970) and WITHIN (RFC 5032) over real sockets, with a real JMAP
// server on the same store: the ids and previews IMAP gives are the ones JMAP Email/get and
// Mailbox/get give. imapflow (a real client) reads them too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ImapFlow } from 'imapflow';
import { startImap, type ImapHarness } from './harness.js';
import { RawClient } from './raw-client.js';
import { createJmapServer, type JmapServer } from '../../src/jmap/index.js';
import { jmapConfig, USING } from '../jmap/harness.js';
import { silentLogger } from '../../src/log/logger.js';

const USER = 'alice@example.org';
const PASS = 'secret';

const FIRST = 'Subject: hello\r\nMessage-ID: <a@x>\r\n\r\nFirst   line\r\n  of the body, h\u00e9llo.\r\n';
const REPLY = 'Subject: Re: hello\r\nMessage-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <a@x>\r\n\r\nA reply.\r\n';
const EMPTY = 'Subject: nothing\r\nMessage-ID: <c@x>\r\n\r\n';

async function append(c: RawClient, tag: string, text: string, date?: string): Promise<void> {
  const bytes = Buffer.byteLength(text);
  c.write(`${tag} APPEND INBOX ${date ? `"${date}" ` : ''}{${bytes}+}\r\n`);
  c.socket.write(Buffer.from(text + '\r\n', 'utf8'));
  assert.match((await c.until(tag)).at(-1)!, new RegExp(`^${tag} OK`));
}

interface Jmap {
  server: JmapServer;
  accountId: string;
  call(calls: unknown[]): Promise<Array<[string, Record<string, unknown>, string]>>;
}

async function startJmap(h: ImapHarness): Promise<Jmap> {
  const server = createJmapServer(
    { auth: h.auth, users: h.users, store: h.store, events: h.events, logger: silentLogger(), hostname: 'tessera.test', sessions: h.sessions, routes: h.sessions.httpRoutes, spoolDir: join(tmpdir(), `tessera-objid-${process.pid}`) },
    jmapConfig(),
  );
  await server.start();
  const auth = 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64');
  const session = await fetch(`http://127.0.0.1:${server.port()}/jmap/session`, { headers: { authorization: auth } });
  assert.equal(session.status, 200);
  const accountId = ((await session.json()) as { primaryAccounts: Record<string, string> }).primaryAccounts['urn:ietf:params:jmap:mail']!;
  return {
    server,
    accountId,
    async call(calls) {
      const r = await fetch(`http://127.0.0.1:${server.port()}/jmap`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ using: USING, methodCalls: calls }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { methodResponses: Array<[string, Record<string, unknown>, string]> }).methodResponses;
    },
  };
}

test('RFC 8474 §4-§6 and RFC 8970 §3: MAILBOXID, EMAILID, THREADID and PREVIEW are the JMAP ids and preview', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const jmap = await startJmap(h);
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    const caps = (await c.command('c', 'CAPABILITY')).find((l) => l.startsWith('* CAPABILITY '))!.split(' ');
    for (const cap of ['OBJECTID', 'PREVIEW', 'WITHIN']) assert.ok(caps.includes(cap), cap);
    await append(c, 'a1', FIRST);
    await append(c, 'a2', REPLY);
    await append(c, 'a3', EMPTY);

    // JMAP's view of the same account.
    const [[, mbs]] = await jmap.call([['Mailbox/get', { accountId: jmap.accountId, ids: null, properties: ['id', 'name'] }, '0']]) as [[string, { list: Array<{ id: string; name: string }> }, string]];
    const inboxId = mbs.list.find((m) => m.name === 'Inbox' || m.name === 'INBOX')!.id;
    const res = await jmap.call([
      ['Email/query', { accountId: jmap.accountId, sort: [{ property: 'receivedAt', isAscending: true }] }, 'q'],
      ['Email/get', { accountId: jmap.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['id', 'threadId', 'preview', 'subject'] }, 'g'],
    ]);
    assert.equal(res[1]![0], "Email/get", JSON.stringify(res));
    const emails = (res[1]![1] as { list: Array<{ id: string; threadId: string; preview: string; subject: string }> }).list;
    const bySubject = new Map(emails.map((e) => [e.subject, e]));
    const first = bySubject.get('hello')!;
    const reply = bySubject.get('Re: hello')!;
    const empty = bySubject.get('nothing')!;
    assert.equal(first.threadId, reply.threadId, 'JMAP threads the reply with its parent');

    // §4.1: SELECT and EXAMINE name the mailbox id; §4.2: STATUS and LIST-STATUS give it.
    assert.ok((await c.command('x', 'EXAMINE INBOX')).includes(`* OK [MAILBOXID (${inboxId})] Ok`));
    assert.ok((await c.command('s', 'STATUS INBOX (MAILBOXID MESSAGES)')).includes(`* STATUS INBOX (MAILBOXID (${inboxId}) MESSAGES 3)`));
    assert.ok((await c.command('l', 'LIST "" "INBOX" RETURN (STATUS (MAILBOXID))')).includes(`* STATUS INBOX (MAILBOXID (${inboxId}))`));
    // §4.1: CREATE names the new mailbox's id, which JMAP knows by that id.
    const created = (await c.command('k', 'CREATE Projects')).at(-1)!;
    const newId = /^k OK \[MAILBOXID \(([A-Za-z0-9_-]+)\)\]/.exec(created)?.[1];
    assert.ok(newId, created);
    const [[, got]] = await jmap.call([['Mailbox/get', { accountId: jmap.accountId, ids: [newId], properties: ['name'] }, '0']]) as [[string, { list: Array<{ name: string }> }, string]];
    assert.deepEqual(got.list.map((m) => m.name), ['Projects']);

    assert.ok((await c.command('e', 'SELECT INBOX')).includes(`* OK [MAILBOXID (${inboxId})] Ok`));
    // §5: EMAILID and THREADID; RFC 8970 §3: PREVIEW (and PREVIEW (LAZY)) is JMAP's preview, NIL with no text.
    const f = await c.command('f', 'FETCH 1:3 (EMAILID THREADID PREVIEW)');
    // 8-bit preview text: a literal of its UTF-8 bytes (quoted strings are 7-bit without UTF8=ACCEPT).
    const firstBytes = Buffer.from(first.preview, 'utf8');
    const i1 = f.indexOf(`* 1 FETCH (EMAILID (${first.id}) THREADID (${first.threadId}) PREVIEW {${firstBytes.length}}`);
    assert.ok(i1 >= 0, f.join('\n'));
    assert.equal(f[i1 + 1], `${firstBytes.toString('latin1')})`);
    assert.ok(f.includes(`* 2 FETCH (EMAILID (${reply.id}) THREADID (${reply.threadId}) PREVIEW "${reply.preview}")`), f.join('\n'));
    assert.ok(f.includes(`* 3 FETCH (EMAILID (${empty.id}) THREADID (${empty.threadId}) PREVIEW NIL)`), f.join('\n'));
    assert.equal(empty.preview, '');
    assert.equal(first.preview, 'First line of the body, h\u00e9llo.');
    const lazy = await c.command('z', 'UID FETCH 2 (PREVIEW (LAZY))');
    assert.ok(lazy.includes(`* 2 FETCH (UID 2 PREVIEW "${reply.preview}")`), lazy.join('\n'));
    assert.match((await c.command('b', 'FETCH 1 (PREVIEW (FAST))')).at(-1)!, /^b BAD/);
    assert.match((await c.command('b2', 'FETCH 1 (PREVIEW ())')).at(-1)!, /^b2 BAD/);

    // §6: SEARCH EMAILID / THREADID.
    assert.ok((await c.command('s1', `SEARCH EMAILID ${reply.id}`)).includes('* SEARCH 2'));
    assert.ok((await c.command('s2', `SEARCH THREADID ${first.threadId}`)).includes('* SEARCH 1 2'));
    assert.ok((await c.command('s3', 'SEARCH EMAILID e999999')).includes('* SEARCH'));
    assert.match((await c.command('s4', 'SEARCH EMAILID "bad id!"')).at(-1)!, /^s4 BAD/);
  } finally {
    c.close();
    await jmap.server.stop(new Date(Date.now() + 500));
    await h.close();
  }
});

test('RFC 5032 §3: SEARCH YOUNGER / OLDER on INTERNALDATE', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    await append(c, 'a1', EMPTY, '01-Jan-2020 00:00:00 +0000');
    await append(c, 'a2', FIRST);
    await c.command('s', 'SELECT INBOX');
    assert.ok((await c.command('y', 'SEARCH YOUNGER 3600')).includes('* SEARCH 2'));
    assert.ok((await c.command('o', 'SEARCH OLDER 3600')).includes('* SEARCH 1'));
    assert.ok((await c.command('n', 'SEARCH OR YOUNGER 3600 OLDER 3600')).includes('* SEARCH 1 2'));
    assert.match((await c.command('b', 'SEARCH YOUNGER -5')).at(-1)!, /^b BAD/);
    assert.match((await c.command('b2', 'SEARCH OLDER')).at(-1)!, /^b2 BAD/);
  } finally {
    c.close();
    await h.close();
  }
});

test('imapflow reads OBJECTID: mailboxId on open, emailId/threadId in fetch, search by emailId/threadId', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: false, auth: { user: USER, pass: PASS }, logger: false });
  await client.connect();
  try {
    await client.append('INBOX', FIRST);
    await client.append('INBOX', REPLY);
    const box = await client.mailboxOpen('INBOX');
    const inbox = (await h.store.findMailboxByRole(USER, 'inbox'))!;
    assert.equal(box.mailboxId, inbox.id);
    const msgs = [];
    for await (const m of client.fetch('1:*', { uid: true, emailId: true, threadId: true })) msgs.push(m);
    const emails = await h.store.getEmails(USER, msgs.map((m) => m.emailId!));
    assert.deepEqual(msgs.map((m) => m.threadId), emails.map((e) => e.threadId));
    assert.deepEqual(await client.search({ emailId: msgs[1]!.emailId! }), [2]);
    assert.deepEqual(await client.search({ threadId: msgs[0]!.threadId! }), [1, 2]);
  } finally {
    await client.logout();
    await h.close();
  }
});
