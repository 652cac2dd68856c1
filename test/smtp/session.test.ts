// The SMTP protocol through a raw socket against a real server: replies, state, relay rules, AUTH
// framing, STARTTLS, and delivery into the real store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

let h: SmtpHarness;
before(async () => {
  h = await startHarness({ startWorker: false });
});
after(async () => {
  await h.close();
});

async function connect(port = h.port): Promise<RawSmtpClient> {
  const { client, greeting } = await RawSmtpClient.connect(port);
  assert.equal(greeting.code, 220);
  return client;
}

test('EHLO lists the extensions, STARTTLS and the password mechanisms', async () => {
  const c = await connect();
  const r = await c.command('EHLO client.example');
  assert.equal(r.code, 250);
  for (const ext of ['PIPELINING', 'SIZE 1048576', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'STARTTLS', 'AUTH PLAIN LOGIN']) {
    assert.ok(r.lines.includes(ext), `${ext} in ${r.text}`);
  }
  assert.equal((await c.command('HELO x')).code, 250);
  assert.equal((await c.command('NOOP')).code, 250);
  assert.match((await c.command('VRFY alice')).text, /^252 2\.5\.0/);
  assert.match((await c.command('HELP')).text, /^214/m);
  assert.match((await c.command('FOO')).text, /^500 5\.5\.2/);
  assert.match((await c.command('EXPN list')).text, /^502/);
  assert.match((await c.command('QUIT')).text, /^221 2\.0\.0/);
  await c.closed;
});

test('a local user receives mail from anyone, stored with a Received header before 250', async () => {
  const c = await connect();
  await c.command('EHLO sender.example');
  assert.match((await c.command('MAIL FROM:<someone@elsewhere.example>')).text, /^250 2\.1\.0/);
  assert.match((await c.command(`RCPT TO:<${BOB}>`)).text, /^250 2\.1\.5/);
  assert.match((await c.command('RCPT TO:<nobody@example.test>')).text, /^550 5\.1\.1/);
  assert.equal((await c.command('DATA')).code, 354);
  const r = await c.command('Subject: hello\r\n\r\n..dotted line\r\nbody\r\n.');
  assert.match(r.text, /^250 2\.0\.0 Ok: queued as [0-9A-F]+/);
  const mail = await inboxMessages(h.store, BOB);
  const last = mail.at(-1)!;
  assert.match(last, /^Return-Path: <someone@elsewhere\.example>\r\nReceived: from sender\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Tessera\) with ESMTP id /);
  assert.ok(last.endsWith('Subject: hello\r\n\r\n.dotted line\r\nbody\r\n'));
  c.close();
});

test('relay is refused without authentication: 530, or 550 when auth is not the way', async () => {
  const c = await connect();
  await c.command('EHLO sender.example');
  await c.command('MAIL FROM:<a@elsewhere.example>');
  assert.match((await c.command('RCPT TO:<x@remote.example>')).text, /^530 5\.7\.0 Authentication required/);
  c.close();
  const other = await startHarness({ startWorker: false, config: { requireAuthForRelay: false } });
  try {
    const d = await connect(other.port);
    await d.command('EHLO sender.example');
    await d.command('MAIL FROM:<a@elsewhere.example>');
    assert.match((await d.command('RCPT TO:<x@remote.example>')).text, /^550 5\.7\.1 Relaying denied/);
    d.close();
  } finally {
    await other.close();
  }
  const mx = await startHarness({ startWorker: false, config: { requireAuthForRelay: true, announce: 'never' } });
  try {
    const e = await connect(mx.port);
    await e.command('EHLO sender.example');
    await e.command('MAIL FROM:<a@elsewhere.example>');
    assert.match((await e.command('RCPT TO:<x@remote.example>')).text, /^550 5\.7\.1 Relaying denied/, 'an MX that never offers AUTH does not ask for it');
    e.close();
  } finally {
    await mx.close();
  }
});

test('authorized addresses relay without AUTH and do not see AUTH with forUnauthorizedAddresses', async () => {
  const other = await startHarness({ startWorker: false, config: { authorizedAddresses: ['127.0.0.0/8'], announce: 'forUnauthorizedAddresses' } });
  try {
    const d = await connect(other.port);
    const ehlo = await d.command('EHLO trusted.example');
    assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), ehlo.text);
    await d.command('MAIL FROM:<app@trusted.example>');
    assert.equal((await d.command('RCPT TO:<x@remote.example>')).code, 250);
    assert.equal((await d.command('DATA')).code, 354);
    assert.equal((await d.command('Subject: relayed\r\n\r\nhi\r\n.')).code, 250);
    const queued = await other.store.listOutbound();
    assert.equal(queued.length, 1);
    assert.deepEqual(queued[0]!.recipients.map((r) => r.address), ['x@remote.example']);
    assert.equal(queued[0]!.sender, 'app@trusted.example');
    d.close();
  } finally {
    await other.close();
  }
});

test('AUTH PLAIN: 235, then relay allowed; identity enforced in MAIL FROM', async () => {
  const c = await connect();
  await c.command('EHLO me');
  assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, 'wrong')}`)).text, /^535 5\.7\.8/);
  assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^235 2\.7\.0/);
  assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^503 5\.5\.1/);
  assert.match((await c.command(`MAIL FROM:<${BOB}>`)).text, /^553 5\.7\.1/);
  assert.equal((await c.command(`MAIL FROM:<${ALICE}>`)).code, 250);
  assert.equal((await c.command('RCPT TO:<friend@remote.example>')).code, 250);
  c.close();
});

test('AUTH LOGIN with challenges, abort, unknown mechanism; PLAIN without and with an empty initial response', async () => {
  const c = await connect();
  await c.command('EHLO me');
  assert.match((await c.command('AUTH CRAM-MD5')).text, /^504 5\.5\.4/);
  assert.equal((await c.command('AUTH LOGIN')).code, 334);
  assert.match((await c.command('*')).text, /^501 5\.7\.0/);
  const first = await c.command('AUTH LOGIN');
  assert.equal(first.text, '334 VXNlcm5hbWU6');
  assert.equal((await c.command(Buffer.from(ALICE).toString('base64'))).code, 334);
  assert.match((await c.command(Buffer.from(USERS[ALICE]!).toString('base64'))).text, /^235 2\.7\.0/);
  c.close();
  const d = await connect();
  await d.command('EHLO me');
  // "=" is an empty initial response (RFC 4954 §4), which is not a valid PLAIN message.
  assert.match((await d.command('AUTH PLAIN =')).text, /^501 5\.5\.2/);
  assert.equal((await d.command('AUTH PLAIN')).text, '334 ');
  assert.match((await d.command(plain(BOB, USERS[BOB]!))).text, /^235/);
  d.close();
});

test('AUTH before EHLO and during a transaction are sequence errors', async () => {
  const c = await connect();
  assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^503 5\.5\.1/);
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^503 5\.5\.1/);
  c.close();
});

test('requireSSL: no AUTH before TLS (538), AUTH offered and accepted after STARTTLS', async () => {
  const other = await startHarness({ startWorker: false, auth: { requireSSL: true } });
  try {
    const c = await connect(other.port);
    const ehlo = await c.command('EHLO me');
    assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), ehlo.text);
    assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^538 5\.7\.11/);
    assert.match((await c.command('STARTTLS')).text, /^220 2\.0\.0/);
    await c.upgrade();
    const secure = await c.command('EHLO me');
    assert.ok(secure.lines.includes('AUTH PLAIN LOGIN'), secure.text);
    assert.ok(!secure.lines.includes('STARTTLS'));
    assert.match((await c.command('STARTTLS')).text, /^503/);
    assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^235 2\.7\.0/);
    c.close();
  } finally {
    await other.close();
  }
});

test('STARTTLS: commands pipelined in clear after it are discarded and the state resets', async () => {
  const c = await connect();
  await c.command('EHLO me');
  c.write('STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n');
  assert.match((await c.read()).text, /^220/);
  await c.upgrade();
  // The injected MAIL was dropped: no reply for it, and MAIL now needs a new EHLO.
  assert.match((await c.command('MAIL FROM:<a@b.example>')).text, /^503 5\.5\.1/);
  await c.command('EHLO me');
  assert.equal((await c.command('MAIL FROM:<a@b.example>')).code, 250);
  c.close();
});

test('PIPELINING: a whole transaction in one write gets every reply in order', async () => {
  const c = await connect();
  c.write(`EHLO p\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<${BOB}>\r\nRCPT TO:<ghost@${DOMAIN}>\r\nDATA\r\nSubject: piped\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n`);
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await c.read()).code);
  assert.deepEqual(codes, [250, 250, 250, 550, 354, 250, 250, 221]);
  await c.closed;
  assert.ok((await inboxMessages(h.store, BOB)).some((m) => m.includes('Subject: piped')));
});

test('BDAT: chunks are assembled byte-exact, DATA after BDAT is refused, and a refused BDAT still eats its chunk', async () => {
  const c = await connect();
  await c.command('EHLO me');
  c.write('BDAT 5\r\nhello');
  assert.match((await c.read()).text, /^503 5\.5\.1/);
  assert.equal((await c.command('MAIL FROM:<x@y.example>')).code, 250);
  assert.equal((await c.command(`RCPT TO:<${BOB}>`)).code, 250);
  const part1 = 'Subject: chunked\r\n\r\n.line';
  c.write(`BDAT ${Buffer.byteLength(part1)}\r\n${part1}`);
  assert.match((await c.read()).text, /^250 2\.0\.0 \d+ octets/);
  assert.match((await c.command('DATA')).text, /^503/);
  const part2 = ' two\r\n';
  c.write(`BDAT ${Buffer.byteLength(part2)} LAST\r\n${part2}`);
  assert.match((await c.read()).text, /^250 2\.0\.0 Ok/);
  const stored = (await inboxMessages(h.store, BOB)).find((m) => m.includes('Subject: chunked'))!;
  assert.ok(stored.endsWith('Subject: chunked\r\n\r\n.line two\r\n'));
  c.close();
});

test('SIZE: a declared size over the limit is refused at MAIL, an actual one at end of DATA', async () => {
  const other = await startHarness({ startWorker: false, config: { maxMessageSize: 1000 } });
  try {
    const c = await connect(other.port);
    await c.command('EHLO me');
    assert.match((await c.command('MAIL FROM:<a@b.example> SIZE=5000')).text, /^552 5\.3\.4/);
    await c.command('MAIL FROM:<a@b.example> SIZE=500');
    await c.command(`RCPT TO:<${BOB}>`);
    await c.command('DATA');
    assert.match((await c.command(`Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n.`)).text, /^552 5\.3\.4/);
    assert.equal((await inboxMessages(other.store, BOB)).length, 0);
    assert.equal((await c.command('NOOP')).code, 250);
    c.close();
  } finally {
    await other.close();
  }
});

test('SMTPUTF8: non-ASCII addresses need the parameter', async () => {
  const c = await connect();
  await c.command('EHLO me');
  assert.match((await c.command('MAIL FROM:<jöran@example.org>')).text, /^553 5\.6\.7/);
  assert.equal((await c.command('MAIL FROM:<jöran@example.org> SMTPUTF8 BODY=8BITMIME')).code, 250);
  assert.match((await c.command('RCPT TO:<x@y.example> XUNKNOWN=1')).text, /^555 5\.5\.4/);
  c.close();
});

test('quota exceeded: 552 5.2.2 for the only recipient', async () => {
  await h.store.ensureAccount(ALICE);
  await h.store.setQuota(ALICE, { storage: 10, messages: 0 });
  try {
    const c = await connect();
    await c.command('EHLO me');
    await c.command('MAIL FROM:<x@y.example>');
    await c.command(`RCPT TO:<${ALICE}>`);
    await c.command('DATA');
    assert.match((await c.command('Subject: too big for quota\r\n\r\nhello hello\r\n.')).text, /^552 5\.2\.2/);
    c.close();
  } finally {
    await h.store.setQuota(ALICE, null);
  }
});

test('announce=never: EHLO lists no AUTH (clients configured to authenticate still can)', async () => {
  const other = await startHarness({ startWorker: false, config: { announce: 'never' } });
  try {
    const c = await connect(other.port);
    const ehlo = await c.command('EHLO me');
    assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), ehlo.text);
    assert.match((await c.command(`AUTH PLAIN ${plain(ALICE, USERS[ALICE]!)}`)).text, /^235/);
    c.close();
  } finally {
    await other.close();
  }
});

test('one recipient over quota among several: 250, and the sender gets a DSN for that one', async () => {
  await h.store.ensureAccount(ALICE);
  await h.store.setQuota(ALICE, { storage: 10, messages: 0 });
  try {
    const c = await connect();
    await c.command('EHLO me');
    // A local sender must authenticate (verifyIdentity strict).
    assert.equal((await c.command(`AUTH PLAIN ${plain(BOB, USERS[BOB]!)}`)).code, 235);
    await c.command(`MAIL FROM:<${BOB}>`);
    await c.command(`RCPT TO:<${ALICE}>`);
    await c.command(`RCPT TO:<${BOB}>`);
    await c.command('DATA');
    assert.equal((await c.command('Subject: half delivered\r\n\r\nhello\r\n.')).code, 250);
    c.close();
  } finally {
    await h.store.setQuota(ALICE, null);
  }
  const inbox = await inboxMessages(h.store, BOB);
  assert.ok(inbox.some((m) => m.includes('Subject: half delivered') && !m.includes('multipart/report')));
  const dsn = inbox.find((m) => m.includes('Undelivered Mail Returned to Sender'))!;
  assert.match(dsn, /^Return-Path: <>\r\n/);
  assert.match(dsn, /Final-Recipient: rfc822; alice@example\.test\r\nAction: failed\r\nStatus: 5\.2\.2/);
});
