// A smarthost (James RemoteDelivery gateway): all remote mail goes through one relay host with
// STARTTLS (certificate verified for its name) and AUTH, over real sockets to an SMTP sink; wrong
// credentials bounce the message to its sender, and the password is never sent without TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { testCertificate } from './certificate.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { waitFor } from '../support/wait.js';

const ALICE = `alice@${DOMAIN}`;
const RELAY_AUTH = { user: 'relay-user', pass: 'relay-secret' };

let sink: SmtpSink;
let good: SmtpHarness;
let wrongPassword: SmtpHarness;
let cleartextOnly: SmtpSink;
let noTls: SmtpHarness;

before(async () => {
  const { key, cert } = await testCertificate();
  sink = await SmtpSink.start({ tls: { key, cert }, auth: RELAY_AUTH, dsn: true });
  cleartextOnly = await SmtpSink.start({ auth: RELAY_AUTH });
  const smarthost = (port: number, pass: string) => ({ hosts: [{ host: '127.0.0.1', port }], auth: { user: RELAY_AUTH.user, pass }, requireTls: true });
  good = await startHarness({ outbound: { smarthost: smarthost(sink.port, RELAY_AUTH.pass), tlsCa: [cert], pool: { idleMs: 60_000 } } });
  wrongPassword = await startHarness({ outbound: { smarthost: smarthost(sink.port, 'not-the-password'), tlsCa: [cert] } });
  noTls = await startHarness({ outbound: { smarthost: smarthost(cleartextOnly.port, RELAY_AUTH.pass), tlsCa: [cert], retryDelaysMs: [100] } });
});

after(async () => {
  for (const h of [good, wrongPassword, noTls]) await h.close();
  await sink.close();
  await cleartextOnly.close();
});

function send(h: SmtpHarness, to: string[], subject: string) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
  return transport.sendMail({ from: ALICE, to, subject, text: 'via the smarthost' });
}

test('remote mail for any domain goes through the smarthost over verified STARTTLS with AUTH, one connection', async () => {
  await send(good, ['one@far.example', 'two@elsewhere.example'], 'through the relay');
  await send(good, ['three@third.example'], 'through the relay again');
  const got = await waitFor('both messages at the smarthost', () => sink.messages.length >= 2 && sink.messages);
  for (const m of got) {
    assert.equal(m.tls, true);
    assert.equal(m.user, RELAY_AUTH.user);
  }
  assert.deepEqual(got.flatMap((m) => m.rcpts).sort(), ['RCPT TO:<one@far.example>', 'RCPT TO:<three@third.example>', 'RCPT TO:<two@elsewhere.example>']);
  assert.equal(sink.connections, 1);
});

test('credentials the smarthost refuses bounce the message to its sender', async () => {
  await send(wrongPassword, ['someone@far.example'], 'refused by the relay');
  const dsn = await waitFor('bounce', async () => (await inboxMessages(wrongPassword.store, ALICE)).find((m) => m.includes('Subject: refused by the relay') && m.includes('Action: failed')));
  assert.match(dsn, /Status: 5\.7\.8/);
  assert.match(dsn, /Remote-MTA: dns; 127\.0\.0\.1/);
});

test('a smarthost without STARTTLS never gets the password: the message waits, then bounces', async () => {
  await send(noTls, ['someone@far.example'], 'no tls at the relay');
  const dsn = await waitFor('bounce', async () => (await inboxMessages(noTls.store, ALICE)).find((m) => m.includes('Subject: no tls at the relay') && m.includes('Action: failed')));
  assert.match(dsn, /Status: 4\.4\.7/);
  assert.equal(cleartextOnly.messages.length, 0);
  // The sink saw connections, but never an AUTH: it records no user and no message.
  assert.ok(cleartextOnly.connections >= 1);
});
