// RFC 5429 reject/ereject at delivery: refused at the protocol level where the answer is per recipient
// (LMTP, or SMTP when every recipient refuses alike), and reported by a DSN through the outbound
// queue when SMTP must accept the message for the other recipients.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawSmtpClient } from '../smtp/raw-client.js';
import { DOMAIN, inboxMessages, startHarness, type SmtpHarness } from '../smtp/harness.js';
import { readAll } from '../../src/store/byte-sources.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
// A multi-line reason: the SMTP reply carries it on one line.
const REJECT = 'require ["ereject"];\r\nif header :contains "subject" "offer" { ereject text:\r\nNot interested.\r\nReally.\r\n.\r\n; }';
let lmtp: SmtpHarness;
let smtp: SmtpHarness;

before(async () => {
  lmtp = await startHarness({
    startWorker: false,
    config: { name: 'lmtp-test', lmtp: true, tls: { socketTLS: false, startTLS: false, selfSigned: false }, announce: 'never', verifyIdentity: 'disabled', disabledCommands: ['AUTH', 'STARTTLS'] },
  });
  smtp = await startHarness({ startWorker: false });
  for (const h of [lmtp, smtp]) {
    await h.store.ensureAccount(BOB);
    await h.store.putSieveScript(BOB, 'main', REJECT);
    await h.store.setActiveSieveScript(BOB, 'main');
  }
});

after(async () => {
  await lmtp?.close();
  await smtp?.close();
});

async function transaction(c: RawSmtpClient, recipients: string[], body: string, replies: number): Promise<string[]> {
  assert.equal((await c.command('MAIL FROM:<sender@relay.example>')).code, 250);
  for (const r of recipients) assert.equal((await c.command(`RCPT TO:<${r}>`)).code, 250, r);
  assert.equal((await c.command('DATA')).code, 354);
  c.write(`${body}\r\n.\r\n`);
  const out: string[] = [];
  for (let i = 0; i < replies; i++) out.push((await c.read()).text);
  return out;
}

test('LMTP: the rejecting recipient gets 550 5.7.1 with the reason, the other 250', async () => {
  const { client: c } = await RawSmtpClient.connect(lmtp.port);
  assert.equal((await c.command('LHLO relay.example')).code, 250);
  const replies = await transaction(c, [BOB, ALICE], 'Subject: special offer\r\n\r\nbuy', 2);
  assert.match(replies[0]!, /^550 5\.7\.1 Not interested\. Really\./);
  assert.match(replies[1]!, new RegExp(`^250 2\\.0\\.0 <${ALICE}>`));
  c.close();
  assert.ok((await inboxMessages(lmtp.store, ALICE)).some((m) => m.includes('special offer')));
  assert.ok(!(await inboxMessages(lmtp.store, BOB)).some((m) => m.includes('special offer')));
});

test('SMTP, only recipient rejects: 550 5.7.1 at DATA, nothing stored', async () => {
  const { client: c } = await RawSmtpClient.connect(smtp.port);
  assert.equal((await c.command('EHLO relay.example')).code, 250);
  const [reply] = await transaction(c, [BOB], 'Subject: another offer\r\n\r\nbuy', 1);
  assert.match(reply!, /^550 5\.7\.1 Not interested\. Really\./);
  c.close();
  assert.ok(!(await inboxMessages(smtp.store, BOB)).some((m) => m.includes('another offer')));
});

test('SMTP, one of two rejects: 250, and a DSN with 5.7.1 goes to the sender through the queue', async () => {
  const before = (await smtp.store.listOutbound()).length;
  const { client: c } = await RawSmtpClient.connect(smtp.port);
  assert.equal((await c.command('EHLO relay.example')).code, 250);
  const [reply] = await transaction(c, [BOB, ALICE], 'Subject: offer for two\r\n\r\nbuy', 1);
  assert.match(reply!, /^250 /);
  c.close();
  const queued = (await smtp.store.listOutbound()).slice(before);
  const dsn = queued.find((q) => q.sender === '' && q.recipients.some((r) => r.address === 'sender@relay.example'));
  assert.ok(dsn, 'a DSN is queued for the sender');
  const text = (await readAll((await smtp.store.openOutbound(dsn.id))!)).toString('utf8');
  assert.match(text, /Status: 5\.7\.1/);
  assert.match(text, /Not interested/);
  assert.match(text, new RegExp(`Final-Recipient: rfc822;\\s*${BOB}`));
  assert.ok((await inboxMessages(smtp.store, ALICE)).some((m) => m.includes('offer for two')));
});
