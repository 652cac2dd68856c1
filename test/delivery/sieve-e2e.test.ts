// Sieve at delivery, end to end: a user's active script (put in the store directly) runs on mail that
// arrives over SMTP. Filing is seen over IMAP, vacation answers once per sender per period, a
// redirect lands in the outbound queue (with the loop marker), reject is a 550 at DATA, and a broken
// script keeps the message in INBOX.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { DOMAIN, inboxMessages, startHarness, type SmtpHarness } from '../smtp/harness.js';
import { imapConfig } from '../imap/harness.js';
import { ImapServer } from '../../src/imap/server.js';
import { withDeadline } from '../support/wait.js';
import { readAll } from '../../src/store/byte-sources.js';
import { SpooledMessage } from '../../src/store/spool/spooled.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice-secret-password', [BOB]: 'bob-secret-password' };
/** Mail from outside (an MX accepts it without authentication). */
const DAN = 'dan@sender.example';

let smtp: SmtpHarness;
let imap: ImapServer;
let imapPort: number;

before(async () => {
  smtp = await startHarness({ startWorker: false, users: PASSWORDS });
  imap = new ImapServer(
    { auth: smtp.auth, store: smtp.store, events: smtp.events, logger: smtp.logger, sessions: smtp.sessions, spoolDir: join(smtp.dir, 'spool', 'imap') },
    imapConfig(),
  );
  await imap.start();
  imapPort = imap.ports()[0]!;
  for (const u of [ALICE, BOB]) await smtp.store.ensureAccount(u);
});

after(async () => {
  await imap.stop(new Date(Date.now() + 500));
  await smtp.close();
});

async function activate(user: string, content: string): Promise<void> {
  await smtp.store.putSieveScript(user, 'main', content);
  await smtp.store.setActiveSieveScript(user, 'main');
}

async function send(from: string, to: string, subject: string, extra: Record<string, string> = {}): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
  try {
    await withDeadline(transport.sendMail({ from, to, subject, text: `body of ${subject}`, headers: extra }), 30_000, `SMTP delivery of "${subject}"`);
  } finally {
    transport.close();
  }
}

async function imapSubjects(user: string, mailbox: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user, pass: PASSWORDS[user]! }, logger: false });
  await withDeadline(client.connect(), 30_000, 'IMAP login');
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const out: string[] = [];
      if ((client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0) === 0) return out;
      for await (const m of client.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

test('fileinto :create with flags files the message into a folder seen over IMAP', async () => {
  await activate(ALICE, `require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "[lists]" { fileinto :create :flags "\\\\Flagged" "Lists/Acme"; stop; }`);
  await send(DAN, ALICE, '[lists] first post');
  await send(DAN, ALICE, 'personal note');
  assert.deepEqual(await imapSubjects(ALICE, 'Lists/Acme'), ['[lists] first post']);
  assert.deepEqual(await imapSubjects(ALICE, 'INBOX'), ['personal note']);
  const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user: ALICE, pass: PASSWORDS[ALICE]! }, logger: false });
  await client.connect();
  try {
    await client.mailboxOpen('Lists/Acme');
    const m = await client.fetchOne('1', { flags: true });
    assert.ok(m && m.flags?.has('\\Flagged'), 'the imap4flags flag is set on the filed copy');
  } finally {
    await client.logout();
  }
});

test('vacation answers once per sender per period', async () => {
  await activate(ALICE, `require ["vacation"];
if header :contains "subject" "vac" { vacation :days 3 :subject "Away" "I am away until Monday."; }`);
  const repliesTo = async (address: string): Promise<string[]> => {
    const out: string[] = [];
    for (const q of await smtp.store.listOutbound()) {
      if (q.sender !== '' || !q.recipients.some((r) => r.address === address)) continue;
      const text = (await readAll((await smtp.store.openOutbound(q.id))!)).toString('utf8');
      if (/^Auto-Submitted: auto-replied/im.test(text)) out.push(text);
    }
    return out;
  };
  await send(DAN, ALICE, 'vac one');
  await send(DAN, ALICE, 'vac two');
  const replies = await repliesTo(DAN);
  assert.equal(replies.length, 1, 'one reply per sender per period');
  assert.match(replies[0]!, /^Subject: Away/m);
  assert.match(replies[0]!, /I am away until Monday\./);
  // Another sender gets their own reply; a list message is never answered (same screening as JMAP).
  await send('erin@sender.example', ALICE, 'vac erin');
  assert.equal((await repliesTo('erin@sender.example')).length, 1);
  await send('list@sender.example', ALICE, 'vac list', { 'List-Id': '<x.lists.example>' });
  assert.equal((await repliesTo('list@sender.example')).length, 0);
});

test('redirect goes to the outbound queue with the loop marker; a looping message is kept', async () => {
  await activate(ALICE, 'require ["copy"]; redirect :copy "carol@remote.test";');
  await send(DAN, ALICE, 'to be forwarded');
  const queued = await smtp.store.listOutbound({ status: 'queued' });
  const item = queued.find((q) => q.recipients.some((r) => r.address === 'carol@remote.test'));
  assert.ok(item, 'the redirected copy is queued for carol@remote.test');
  const bytes = (await readAll((await smtp.store.openOutbound(item.id))!)).toString('utf8');
  assert.match(bytes, new RegExp(`^Delivered-To: ${ALICE}\\r\\n`, 'm'));
  assert.match(bytes, /Subject: to be forwarded/);
  assert.ok((await imapSubjects(ALICE, 'INBOX')).includes('to be forwarded'), ':copy keeps a copy');

  await activate(ALICE, 'redirect "carol@remote.test";');
  const count = (await smtp.store.listOutbound({ status: 'queued' })).length;
  await send(DAN, ALICE, 'already here', { 'Delivered-To': ALICE });
  assert.equal((await smtp.store.listOutbound({ status: 'queued' })).length, count, 'no redirect for a message that passed this address');
  assert.ok((await imapSubjects(ALICE, 'INBOX')).includes('already here'), 'the looping message is kept');
});

test('reject refuses at DATA with the script\'s words', async () => {
  await activate(ALICE, 'require ["reject"]; if header :contains "subject" "spam" { reject "No spam here, thanks."; }');
  await assert.rejects(send(DAN, ALICE, 'buy spam now'), (err: Error & { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 550);
    assert.match(err.response ?? '', /5\.7\.1 No spam here, thanks\./);
    return true;
  });
  assert.ok(!(await imapSubjects(ALICE, 'INBOX')).includes('buy spam now'));
});

test('a broken script keeps the message in INBOX', async () => {
  // Stored directly: ManageSieve would refuse it, but a script can still break at run time.
  await activate(ALICE, 'if header :frob "a" "b" { discard; }');
  await send(DAN, ALICE, 'survives a syntax error');
  await activate(ALICE, 'require "include"; include "missing"; discard;');
  await send(DAN, ALICE, 'survives a runtime error');
  const inbox = await imapSubjects(ALICE, 'INBOX');
  assert.ok(inbox.includes('survives a syntax error'));
  assert.ok(inbox.includes('survives a runtime error'));
});

test('editheader changes only the recipient\'s own copy', async () => {
  await activate(ALICE, 'require ["editheader"]; addheader "X-Filtered" "by alice"; deleteheader "X-Secret";');
  await smtp.store.setActiveSieveScript(BOB, null);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: DAN, to: [ALICE, BOB], subject: 'edited', text: 'x', headers: { 'X-Secret': 'yes' } });
  transport.close();
  const alice = (await inboxMessages(smtp.store, ALICE)).find((m) => /Subject: edited/.test(m))!;
  const bob = (await inboxMessages(smtp.store, BOB)).find((m) => /Subject: edited/.test(m))!;
  assert.match(alice, /^X-Filtered: by alice\r\n/);
  assert.doesNotMatch(alice, /X-Secret/);
  assert.match(alice, /^Received: /m);
  assert.doesNotMatch(bob, /X-Filtered/);
  assert.match(bob, /X-Secret: yes/);
});

test('editheader on a large spooled message copies it chunk by chunk, never reading it whole, for a first and a later recipient', async () => {
  await activate(ALICE, 'require ["editheader"]; addheader "X-Filtered" "by alice"; deleteheader "X-Secret";');
  await activate(BOB, 'require ["editheader"]; addheader "X-Filtered" "by bob";');
  const body = Array.from({ length: 6_000 }, (_, i) => `line ${i} ${'z'.repeat(40)}`).join('\r\n') + '\r\n';
  const read = SpooledMessage.prototype.read;
  SpooledMessage.prototype.read = () => Promise.reject(new Error('a spooled message was read whole'));
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: DAN, to: [BOB, ALICE], subject: 'big edited', text: body, headers: { 'X-Secret': 'yes' } });
    transport.close();
  } finally {
    SpooledMessage.prototype.read = read;
    await smtp.store.setActiveSieveScript(BOB, null);
  }
  for (const [user, by] of [[ALICE, 'alice'], [BOB, 'bob']] as const) {
    const copy = (await inboxMessages(smtp.store, user)).find((m) => /Subject: big edited/.test(m));
    assert.ok(copy, `${user} got the message`);
    assert.match(copy, new RegExp(`^X-Filtered: by ${by}\r\n`));
    assert.match(copy, /^Received: /m);
    assert.equal(/X-Secret/.test(copy), by === 'bob', 'only alice deletes X-Secret');
    const at = copy.indexOf('\r\n\r\n');
    assert.equal(copy.slice(at + 4).replace(/=\r\n/g, '').includes('line 5999 '), true);
    assert.ok(copy.length > body.length, 'the whole body is there');
  }
});

test('a script without vacation leaves the JMAP VacationResponse in charge', async () => {
  await activate(BOB, 'require "fileinto"; if header :contains "subject" "never" { fileinto "x"; }');
  await smtp.store.setSetting(BOB, 'VacationResponse', { id: 'singleton', isEnabled: true, fromDate: null, toDate: null, subject: 'JMAP away', textBody: 'Set over JMAP.', htmlBody: null });
  await send('frank@sender.example', BOB, 'hello bob');
  const replies: string[] = [];
  for (const q of await smtp.store.listOutbound()) {
    if (q.sender === '' && q.recipients.some((r) => r.address === 'frank@sender.example')) replies.push((await readAll((await smtp.store.openOutbound(q.id))!)).toString('utf8'));
  }
  assert.equal(replies.length, 1);
  assert.match(replies[0]!, /^Subject: JMAP away/m);
  await smtp.store.setActiveSieveScript(BOB, null);
});

test('vacation :from naming someone else is not used', async () => {
  await activate(ALICE, 'require "vacation"; vacation :from "ceo@bank.example" :subject "Spoof" "x";');
  await send('gina@sender.example', ALICE, 'spoof test');
  let reply: string | undefined;
  for (const q of await smtp.store.listOutbound()) {
    if (q.sender === '' && q.recipients.some((r) => r.address === 'gina@sender.example')) reply = (await readAll((await smtp.store.openOutbound(q.id))!)).toString('utf8');
  }
  assert.ok(reply, 'a reply was sent');
  assert.match(reply, new RegExp(`^From: .*${ALICE}`, 'm'));
  assert.doesNotMatch(reply, /ceo@bank\.example/);
});

test('fileinto a missing mailbox, or one the store refuses to create, keeps the copy in INBOX', async () => {
  await activate(ALICE, `require ["fileinto", "mailbox"]; fileinto "Does/Not/Exist"; fileinto :create "${'x'.repeat(2000)}";`);
  await send(DAN, ALICE, 'nowhere to file');
  assert.ok((await imapSubjects(ALICE, 'INBOX')).includes('nowhere to file'));
  assert.equal(await smtp.store.findMailboxByPath(ALICE, 'Does/Not/Exist'), null, 'no :create, no mailbox');
});
