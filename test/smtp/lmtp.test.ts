// The SMTP adapter's LMTP dialect (RFC 2033) over real sockets on a test store: one reply per
// recipient after the message, each from that recipient's own delivery (one over quota → 552 for it,
// 250 for the other, no DSN), the dialects refusing each other's greeting, and the trace keyword.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, inboxMessages, startHarness, type SmtpHarness } from './harness.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
let lmtp: SmtpHarness;

before(async () => {
  lmtp = await startHarness({
    startWorker: false,
    config: {
      name: 'lmtp-test',
      lmtp: true,
      tls: { socketTLS: false, startTLS: false, selfSigned: false },
      announce: 'never',
      verifyIdentity: 'disabled',
      disabledCommands: ['AUTH', 'STARTTLS'],
    },
  });
});

after(async () => {
  await lmtp?.close();
});

async function transaction(c: RawSmtpClient, recipients: string[], body: string): Promise<string[]> {
  assert.equal((await c.command('MAIL FROM:<sender@relay.example>')).code, 250);
  for (const r of recipients) assert.equal((await c.command(`RCPT TO:<${r}>`)).code, 250, r);
  assert.equal((await c.command('DATA')).code, 354);
  c.write(`${body}\r\n.\r\n`);
  const out: string[] = [];
  for (const _ of recipients) out.push((await c.read()).text);
  return out;
}

test('one recipient over quota: 552 5.2.2 for it, 250 for the other, in RCPT order, no DSN', async () => {
  await lmtp.store.ensureAccount(BOB);
  await lmtp.store.setQuota(BOB, { storage: 10, messages: 0 });
  try {
    const { client: c } = await RawSmtpClient.connect(lmtp.port);
    assert.equal((await c.command('LHLO relay.example')).code, 250);
    const replies = await transaction(c, [BOB, ALICE], 'Subject: quota split\r\n\r\nhello hello hello');
    assert.match(replies[0]!, /^552 5\.2\.2 /, 'bob is over quota');
    assert.match(replies[1]!, new RegExp(`^250 2\\.0\\.0 <${ALICE}>`), 'alice got it');
    assert.equal((await c.command('NOOP')).code, 250, 'no further reply was queued');
    c.close();
  } finally {
    await lmtp.store.setQuota(BOB, null);
  }
  const alice = await inboxMessages(lmtp.store, ALICE);
  const copy = alice.find((m) => m.includes('Subject: quota split'));
  assert.ok(copy, 'alice has the message');
  assert.match(copy, /with LMTP id /, 'Received: says LMTP (RFC 3848)');
  assert.match(copy, /^Return-Path: <sender@relay\.example>/);
  // The MTA reports bob's failure; Tessera sends no DSN of its own (there is no local sender anyway).
  assert.ok(!(await inboxMessages(lmtp.store, BOB)).some((m) => m.includes('quota split')));
});

test('a message over the size limit gets one 552 per recipient', async () => {
  const small = await startHarness({ startWorker: false, config: { lmtp: true, announce: 'never', maxMessageSize: 64, disabledCommands: ['AUTH'] } });
  try {
    const { client: c } = await RawSmtpClient.connect(small.port);
    await c.command('LHLO relay.example');
    const replies = await transaction(c, [ALICE, BOB], `Subject: big\r\n\r\n${'x'.repeat(200)}`);
    assert.deepEqual(replies.map((r) => r.slice(0, 9)), ['552 5.3.4', '552 5.3.4']);
    c.close();
  } finally {
    await small.close();
  }
});

test('LMTP greets as LMTP and refuses EHLO/HELO with 500; SMTP refuses LHLO with 500', async () => {
  const { client: c, greeting } = await RawSmtpClient.connect(lmtp.port);
  assert.match(greeting.text, /^220 \S+ LMTP /);
  assert.match((await c.command('EHLO x')).text, /^500 5\.5\.1 EHLO not accepted by an LMTP server, use LHLO/);
  assert.match((await c.command('HELO x')).text, /^500 5\.5\.1 /);
  assert.match((await c.command('HELP')).text, /LHLO/);
  assert.doesNotMatch((await c.command('HELP')).text, /EHLO|AUTH|STARTTLS/);
  c.close();
  const smtp = await startHarness({ startWorker: false });
  try {
    const { client: s, greeting: g } = await RawSmtpClient.connect(smtp.port);
    assert.match(g.text, /ESMTP/);
    assert.match((await s.command('LHLO x')).text, /^500 5\.5\.2 Command unrecognized/);
    assert.doesNotMatch((await s.command('HELP')).text, /LHLO/);
    s.close();
  } finally {
    await smtp.close();
  }
});

test('a remote recipient is refused at RCPT: LMTP is final delivery only', async () => {
  const { client: c } = await RawSmtpClient.connect(lmtp.port);
  await c.command('LHLO relay.example');
  await c.command('MAIL FROM:<sender@relay.example>');
  assert.match((await c.command('RCPT TO:<someone@elsewhere.example>')).text, /^550 5\.7\.1 /);
  c.close();
});

test("per-recipient delivery failures are not the client's errors: the session survives them", async () => {
  const users = { [`a@${DOMAIN}`]: 'pw-a-123456', [`b@${DOMAIN}`]: 'pw-b-123456', [`c@${DOMAIN}`]: 'pw-c-123456' };
  const h = await startHarness({ startWorker: false, users, limits: { maxErrors: 2 }, config: { lmtp: true, announce: 'never', verifyIdentity: 'disabled', disabledCommands: ['AUTH'] } });
  try {
    for (const u of Object.keys(users)) {
      await h.store.ensureAccount(u);
      await h.store.setQuota(u, { storage: 10, messages: 0 });
    }
    const { client: c } = await RawSmtpClient.connect(h.port);
    await c.command('LHLO relay.example');
    const replies = await transaction(c, Object.keys(users), 'Subject: all over quota\r\n\r\nhello hello hello');
    assert.deepEqual(replies.map((r) => r.slice(0, 3)), ['552', '552', '552']);
    assert.equal((await c.command('NOOP')).code, 250, 'three 552s did not trip maxErrors=2');
    c.close();
  } finally {
    await h.close();
  }
});
