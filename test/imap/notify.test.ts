// IMAP NOTIFY (RFC 5465) with a raw client on a real server: events from another connection and from
// SMTP delivery reach a session between commands (no IDLE, no NOOP), in IDLE, for the selected
// mailbox with MessageNew fetch attributes, for other mailboxes as STATUS, for mailbox names and
// subscriptions as LIST, and for a mailbox shared by another user until the share is revoked.
// IMAP and SMTP run on one store and one event bus, as `tessera serve` runs them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startHarness, DOMAIN, USERS, type SmtpHarness } from '../smtp/harness.js';
import { imapConfig } from './harness.js';
import { RawClient } from './raw-client.js';
import { ImapServer } from '../../src/imap/server.js';
import { silentLogger } from '../../src/log/logger.js';
import { submit } from '../e2e/clients.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const WAIT_MS = 10_000;

let smtp: SmtpHarness;
let imap: ImapServer;
let port: number;

before(async () => {
  smtp = await startHarness();
  imap = new ImapServer(
    { auth: smtp.auth, store: smtp.store, events: smtp.events, logger: silentLogger(), sessions: smtp.sessions, spoolDir: join(smtp.dir, 'spool', 'imap') },
    imapConfig(),
  );
  await imap.start();
  port = imap.ports()[0]!;
});

after(async () => {
  await imap?.stop(new Date(Date.now() + 500));
  await smtp?.close();
});

const login = (user: string): Promise<RawClient> => RawClient.loggedIn(port, user, USERS[user]!);

/** Reads lines until one matches `re` (under a deadline); returns every line read, the match last. */
async function readUntil(c: RawClient, re: RegExp, ms = WAIT_MS): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const line = await c.readLine(ms).catch((err: Error) => {
      throw new Error(`no line matching ${re} (read ${JSON.stringify(seen)}): ${err.message}`);
    });
    if (line === '' && c.closed) throw new Error(`connection closed before ${re}; read ${JSON.stringify(seen)}`);
    seen.push(line);
    if (re.test(line)) return seen;
  }
}

function ok(lines: string[], tag: string): string[] {
  assert.match(lines.at(-1)!, new RegExp(`^${tag} OK`), lines.join('\n'));
  return lines;
}

async function deliver(to: string, subject: string): Promise<void> {
  const r = await submit({ port: smtp.port }, { from: 'sender@remote.example', to, subject, text: 'hello', messageId: `<${randomUUID()}@remote.example>` });
  assert.equal(r.rejected.length, 0);
}

describe('NOTIFY command', () => {
  it('is advertised; unknown events get NO [BADEVENT (supported events)], malformed groups BAD', async () => {
    const a = await login(ALICE);
    try {
      const caps = ok(await a.command('c', 'CAPABILITY'), 'c');
      assert.match(caps[0]!, /\bNOTIFY\b/);
      const bad = await a.command('n1', 'NOTIFY SET (personal (MessageNew MessageExpunge NoSuchEvent))');
      assert.match(bad.at(-1)!, /^n1 NO \[BADEVENT \(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange\)\]/);
      // AnnotationChange needs ANNOTATE, which is not offered.
      assert.match((await a.command('n2', 'NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))')).at(-1)!, /^n2 NO \[BADEVENT /);
      for (const [tag, args] of [
        ['b1', 'SET (selected (MessageNew))'], // §5: MessageNew needs MessageExpunge for the selected mailbox
        ['b2', 'SET (selected (FlagChange))'],
        ['b3', 'SET (personal (MessageNew (UID)))'], // fetch attributes are for the selected mailbox only
        ['b4', 'SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))'],
        ['b5', 'SET (nowhere (MessageNew))'],
        ['b6', 'SET'],
        ['b7', 'SET (mailboxes () (MessageNew))'],
        ['b8', 'BOTH'],
        ['b9', 'SET (selected (MessageNew (NOSUCHATT) MessageExpunge))'],
      ] as const) {
        assert.match((await a.command(tag, `NOTIFY ${args}`)).at(-1)!, new RegExp(`^${tag} BAD `), args);
      }
      ok(await a.command('n3', 'NOTIFY NONE'), 'n3');
    } finally {
      a.close();
    }
  });
});

describe('NOTIFY events from another connection, between commands', () => {
  let a: RawClient;
  let b: RawClient;

  before(async () => {
    a = await login(ALICE);
    b = await login(ALICE);
    ok(await a.command('c1', 'CREATE Lists'), 'c1');
    ok(await a.command('c2', 'CREATE Quiet'), 'c2');
  });

  after(() => {
    a.close();
    b.close();
  });

  it('NOTIFY SET STATUS sends STATUS for the watched mailboxes before the tagged OK', async () => {
    const lines = ok(await a.command('n', 'NOTIFY SET STATUS (subtree Lists (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))'), 'n');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('* STATUS')),
      [lines.find((l) => /^\* STATUS Lists \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)$/.test(l))],
      lines.join('\n'),
    );
  });

  it('an APPEND elsewhere arrives as STATUS without any command; unwatched mailboxes stay silent', async () => {
    ok(await b.command('b1', 'APPEND Quiet {12}\r\nSubject: q\r\n'), 'b1');
    ok(await b.command('b2', 'APPEND Lists {14}\r\nSubject: one\r\n'), 'b2');
    const seen = await readUntil(a, /^\* STATUS Lists /);
    assert.match(seen.at(-1)!, /^\* STATUS Lists \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)$/);
    assert.equal(seen.length, 1, `nothing about Quiet: ${JSON.stringify(seen)}`);
  });

  it('flag changes and expunges elsewhere arrive as STATUS', async () => {
    ok(await b.command('s1', 'SELECT Lists'), 's1');
    ok(await b.command('s2', 'STORE 1 +FLAGS (\\Deleted)'), 's2');
    assert.match((await readUntil(a, /^\* STATUS Lists /)).at(-1)!, /MESSAGES 1 UIDNEXT 2 /);
    ok(await b.command('s3', 'EXPUNGE'), 's3');
    assert.match((await readUntil(a, /^\* STATUS Lists /)).at(-1)!, /MESSAGES 0 UIDNEXT 2 /);
    ok(await b.command('s4', 'UNSELECT'), 's4');
  });

  it('CREATE, RENAME, SUBSCRIBE and DELETE elsewhere arrive as LIST (OLDNAME, \\Subscribed, \\NonExistent)', async () => {
    ok(await b.command('m1', 'CREATE Lists/New'), 'm1');
    assert.equal((await readUntil(a, /^\* LIST /)).at(-1), '* LIST () "/" Lists/New');
    ok(await b.command('m2', 'RENAME Lists/New Lists/Newer'), 'm2');
    assert.equal((await readUntil(a, /^\* LIST /)).at(-1), '* LIST () "/" Lists/Newer ("OLDNAME" (Lists/New))');
    ok(await b.command('m3', 'SUBSCRIBE Lists/Newer'), 'm3');
    assert.equal((await readUntil(a, /^\* LIST /)).at(-1), '* LIST (\\Subscribed) "/" Lists/Newer');
    ok(await b.command('m4', 'UNSUBSCRIBE Lists/Newer'), 'm4');
    assert.equal((await readUntil(a, /^\* LIST /)).at(-1), '* LIST () "/" Lists/Newer');
    ok(await b.command('m5', 'DELETE Lists/Newer'), 'm5');
    assert.equal((await readUntil(a, /^\* LIST /)).at(-1), '* LIST (\\NonExistent) "/" Lists/Newer');
  });

  it("the session's own changes are not reported back to it", async () => {
    ok(await a.command('o1', 'APPEND Lists {14}\r\nSubject: own\r\n'), 'o1').forEach((l) => assert.doesNotMatch(l, /^\* STATUS/));
    // Barrier: the next change from elsewhere is the first STATUS this session reads.
    ok(await b.command('o2', 'APPEND Lists {14}\r\nSubject: two\r\n'), 'o2');
    const seen = await readUntil(a, /^\* STATUS Lists /);
    assert.deepEqual(seen.length, 1, JSON.stringify(seen));
    assert.match(seen[0]!, /MESSAGES 2 UIDNEXT 4 /);
  });

  it('IDLE carries NOTIFY events too', async () => {
    a.write('i IDLE\r\n');
    assert.match(await a.readLine(), /^\+ /);
    ok(await b.command('i1', 'APPEND Lists {16}\r\nSubject: idle\r\n\r\n'), 'i1');
    assert.match((await readUntil(a, /^\* STATUS Lists /)).at(-1)!, /MESSAGES 3 /);
    a.write('DONE\r\n');
    await readUntil(a, /^i OK/);
  });

  it('NOTIFY NONE ends the notifications', async () => {
    ok(await a.command('x1', 'NOTIFY NONE'), 'x1');
    ok(await b.command('x2', 'APPEND Lists {14}\r\nSubject: off\r\n'), 'x2');
    // Barrier: NOOP's reply comes after anything already sent; no STATUS before it.
    const lines = ok(await a.command('x3', 'NOOP'), 'x3');
    assert.deepEqual(lines, ['x3 OK NOOP completed']);
  });
});

describe('NOTIFY for the selected mailbox and SMTP delivery', () => {
  it('delivered mail arrives as EXISTS and a FETCH of the requested attributes; an expunge elsewhere at once', async () => {
    const a = await login(BOB);
    const b = await login(BOB);
    try {
      ok(await a.command('s', 'SELECT INBOX'), 's');
      ok(await a.command('n', 'NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange))'), 'n');
      await deliver(BOB, 'notified by smtp');
      const seen = await readUntil(a, /FETCH \(UID 1 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}$/);
      assert.ok(seen.includes('* 1 EXISTS'), JSON.stringify(seen));
      assert.match(await a.readLine(), /^Subject: notified by smtp$/);
      ok(await b.command('b1', 'SELECT INBOX'), 'b1');
      ok(await b.command('b2', 'STORE 1 +FLAGS (\\Flagged)'), 'b2');
      assert.match((await readUntil(a, /^\* 1 FETCH \(FLAGS/)).at(-1)!, /\\Flagged/);
      ok(await b.command('b3', 'STORE 1 +FLAGS (\\Deleted)'), 'b3');
      ok(await b.command('b4', 'EXPUNGE'), 'b4');
      assert.equal((await readUntil(a, /EXPUNGE$/)).at(-1), '* 1 EXPUNGE');
    } finally {
      a.close();
      b.close();
    }
  });

  it('delivery to a non-selected watched mailbox arrives as STATUS', async () => {
    const a = await login(BOB);
    try {
      ok(await a.command('c', 'CREATE Elsewhere'), 'c');
      ok(await a.command('s', 'SELECT Elsewhere'), 's');
      ok(await a.command('n', 'NOTIFY SET (selected (MessageNew MessageExpunge)) (inboxes (MessageNew MessageExpunge))'), 'n');
      await deliver(BOB, 'to the inbox');
      assert.match((await readUntil(a, /^\* STATUS INBOX /)).at(-1)!, /^\* STATUS INBOX \(MESSAGES \d+ UIDNEXT \d+ UIDVALIDITY \d+\)$/);
    } finally {
      a.close();
    }
  });
});

describe('NOTIFY overflow', () => {
  it('more notifications pending than the limit: * OK [NOTIFICATIONOVERFLOW], then nothing more', async () => {
    // A server on the same store whose sessions may hold only 3 pending notifications.
    const small = new ImapServer(
      { auth: smtp.auth, store: smtp.store, events: smtp.events, logger: silentLogger(), sessions: smtp.sessions, spoolDir: join(smtp.dir, 'spool', 'imap2'), notifyQueueLimit: 3 },
      imapConfig(),
    );
    await small.start();
    const a = await RawClient.loggedIn(small.ports()[0]!, BOB, USERS[BOB]!);
    const b = await login(BOB);
    try {
      for (const n of ['Tree/a', 'Tree/b', 'Tree/c', 'Tree/d']) ok(await b.command('c', `CREATE ${n}`), 'c');
      ok(await a.command('n', 'NOTIFY SET (personal (MailboxName))'), 'n');
      // One RENAME moves five mailboxes: five events at once, more than the session may hold.
      ok(await b.command('r', 'RENAME Tree Grove'), 'r');
      const seen = await readUntil(a, /^\* OK \[NOTIFICATIONOVERFLOW\]/);
      assert.ok(seen.length < 5, `fewer LIST responses than renamed mailboxes: ${JSON.stringify(seen)}`);
      ok(await b.command('c2', 'CREATE Grove/e'), 'c2');
      // Barrier: after the overflow the session behaves as after NOTIFY NONE.
      assert.deepEqual(ok(await a.command('x', 'NOOP'), 'x'), ['x OK NOOP completed']);
    } finally {
      a.close();
      b.close();
      await small.stop(new Date(Date.now() + 500));
    }
  });
});

describe('NOTIFY and shared mailboxes', () => {
  it("bob hears of alice's shared mailbox while he may see it, and that it is gone when she revokes", async () => {
    const alice = await login(ALICE);
    const bob = await login(BOB);
    const shared = `"Other Users/${ALICE}/Team"`;
    try {
      ok(await alice.command('c', 'CREATE Team'), 'c');
      ok(await alice.command('c2', 'CREATE Private'), 'c2');
      ok(await alice.command('c3', 'CREATE Listed'), 'c3');
      ok(await alice.command('g', `SETACL Team ${BOB} lr`), 'g');
      ok(await alice.command('g2', `SETACL Listed ${BOB} l`), 'g2');
      const lines = ok(await bob.command('n', 'NOTIFY SET STATUS (subtree "Other Users" (MessageNew MessageExpunge MailboxName))'), 'n');
      assert.ok(lines.some((l) => l.startsWith(`* STATUS ${shared} (MESSAGES 0 UIDNEXT 1 UIDVALIDITY `)), lines.join('\n'));
      // RFC 5465 §3.1: a mailbox bob may list but not read is named with \NoAccess instead of a STATUS.
      assert.ok(lines.includes(`* LIST (\\NoAccess) "/" "Other Users/${ALICE}/Listed"`), lines.join('\n'));
      assert.ok(!lines.some((l) => l.includes('Private')), 'mailboxes not shared stay invisible');
      ok(await alice.command('a1', 'APPEND Private {14}\r\nSubject: psst\r\n'), 'a1');
      ok(await alice.command('a0', 'APPEND Listed {14}\r\nSubject: list\r\n'), 'a0');
      ok(await alice.command('a2', 'APPEND Team {14}\r\nSubject: team\r\n'), 'a2');
      const seen = await readUntil(bob, /^\* STATUS /);
      assert.deepEqual(seen, [`* STATUS ${shared} (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ${/UIDVALIDITY (\d+)/.exec(seen[0]!)![1]})`]);
      ok(await alice.command('r', `DELETEACL Team ${BOB}`), 'r');
      assert.equal((await readUntil(bob, /^\* LIST /)).at(-1), `* LIST (\\NonExistent) "/" ${shared}`);
      ok(await alice.command('a3', 'APPEND Team {14}\r\nSubject: gone\r\n'), 'a3');
      // Barrier: bob's NOOP reply comes after anything the append could have caused.
      assert.deepEqual(ok(await bob.command('x', 'NOOP'), 'x'), ['x OK NOOP completed']);
    } finally {
      alice.close();
      bob.close();
    }
  });
});

describe('NOTIFY MailboxMetadataChange and ServerMetadataChange (RFC 5465 §5.8-5.9)', () => {
  it('SETMETADATA elsewhere arrives as an unsolicited METADATA naming the entries; /private ones only to their writer', async () => {
    const alice = await login(ALICE);
    const other = await login(ALICE);
    const bob = await login(BOB);
    try {
      ok(await alice.command('c', 'CREATE Notes'), 'c');
      ok(await alice.command('c2', 'CREATE Unwatched-notes'), 'c2');
      ok(await alice.command('g', `SETACL Notes ${BOB} lrw`), 'g');
      ok(await other.command('n', 'NOTIFY SET (mailboxes Notes (MailboxMetadataChange ServerMetadataChange))'), 'n');
      ok(await bob.command('n', `NOTIFY SET (subtree "Other Users" (MailboxMetadataChange))`), 'n');

      ok(await alice.command('m1', 'SETMETADATA Notes (/shared/comment "team notes" /private/mine "x")'), 'm1');
      assert.deepEqual(await readUntil(other, /^\* METADATA /), ['* METADATA Notes /shared/comment /private/mine']);
      // bob sees the shared entry of the mailbox shared with him, never alice's private one.
      assert.deepEqual(await readUntil(bob, /^\* METADATA /), [`* METADATA "Other Users/${ALICE}/Notes" /shared/comment`]);

      // A removal is a change too; an unwatched mailbox stays silent; server entries are ServerMetadataChange.
      ok(await alice.command('m2', 'SETMETADATA Unwatched-notes (/private/q "1")'), 'm2');
      ok(await alice.command('m3', 'SETMETADATA Notes (/shared/comment NIL)'), 'm3');
      assert.deepEqual(await readUntil(other, /^\* METADATA /), ['* METADATA Notes /shared/comment']);
      ok(await alice.command('m4', 'SETMETADATA "" (/private/vendor/x "1")'), 'm4');
      assert.deepEqual(await readUntil(other, /^\* METADATA /), ['* METADATA "" /private/vendor/x']);
      assert.deepEqual(await readUntil(bob, /^\* METADATA /), [`* METADATA "Other Users/${ALICE}/Notes" /shared/comment`]);

      // bob's own private entry on alice's mailbox is his alone: alice's sessions are not told.
      ok(await bob.command('m5', `SETMETADATA "Other Users/${ALICE}/Notes" (/private/bobs "b")`), 'm5');
      ok(await alice.command('m6', 'SETMETADATA Notes (/shared/after "1")'), 'm6');
      assert.deepEqual(await readUntil(other, /^\* METADATA /), ['* METADATA Notes /shared/after']);
      // The writer's own session is not told of its own write (§5), as for MailboxName.
      assert.deepEqual(ok(await alice.command('x', 'NOOP'), 'x'), ['x OK NOOP completed']);
      assert.deepEqual(ok(await bob.command('x', 'NOOP'), 'x').filter((l) => l.includes('bobs')), []);
    } finally {
      alice.close();
      other.close();
      bob.close();
    }
  });

  it('the selected mailbox alone: (selected (MailboxMetadataChange)) reports its entries', async () => {
    const alice = await login(ALICE);
    const other = await login(ALICE);
    try {
      ok(await alice.command('c', 'CREATE Selected-notes'), 'c');
      ok(await other.command('s', 'SELECT Selected-notes'), 's');
      ok(await other.command('n', 'NOTIFY SET (selected (MailboxMetadataChange))'), 'n');
      ok(await alice.command('m', 'SETMETADATA Selected-notes (/shared/comment "hi")'), 'm');
      assert.deepEqual(await readUntil(other, /^\* METADATA /), ['* METADATA Selected-notes /shared/comment']);
    } finally {
      alice.close();
      other.close();
    }
  });
});
