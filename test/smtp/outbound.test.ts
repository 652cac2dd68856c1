// Remote delivery end to end: server A queues mail for remote.test and its worker delivers it, through
// a route override, to server B on loopback (a real Tessera SMTP server acting as the remote MX).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import nodemailer from 'nodemailer';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { waitFor } from '../support/wait.js';
import { NextHopResolver } from '../../src/delivery/outbound/next-hop.js';

const ALICE = `alice@${DOMAIN}`;
const CAROL = 'carol@remote.test';

let remote: SmtpHarness;
let local: SmtpHarness;
let deadPort: number;

before(async () => {
  remote = await startHarness({ startWorker: false, domains: ['remote.test'], users: { [CAROL]: 'carol-secret-password' } });
  // A port with nothing listening: connections are refused, so deliveries there are deferred.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  local = await startHarness({
    outbound: {
      routes: { 'remote.test': { host: '127.0.0.1', port: remote.port }, 'down.test': { host: '127.0.0.1', port: deadPort } },
      pollIntervalMs: 100,
      retryDelaysMs: [100, 100],
    },
  });
});
after(async () => {
  await local.close();
  await remote.close();
});

function transport(h: SmtpHarness) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: h.port,
    secure: false,
    tls: { rejectUnauthorized: false },
    auth: { user: ALICE, pass: USERS[ALICE]! },
  });
}

test('an authenticated user relays to a remote domain; the worker delivers it with STARTTLS', async () => {
  const info = await transport(local).sendMail({ from: ALICE, to: CAROL, subject: 'to the remote side', text: 'hello carol' });
  assert.deepEqual(info.accepted, [CAROL]);
  const mail = await waitFor('remote delivery', async () => (await inboxMessages(remote.store, CAROL)).find((m) => m.includes('to the remote side')));
  // Two Received headers: ours (ESMTPSA from nodemailer) and the remote's (ESMTPS: the worker used STARTTLS).
  const received = mail.split('\r\n').filter((l) => l.startsWith('Received:'));
  assert.equal(received.length, 2);
  assert.match(mail, /with ESMTPS id/);
  assert.match(mail, /with ESMTPSA id/);
  const items = await local.store.listOutbound();
  const item = await waitFor('queue item done', async () => (await local.store.listOutbound()).find((i) => i.status === 'done'));
  assert.equal(item.recipients[0]!.status, 'delivered');
  assert.ok(items.length >= 1);
});

test('a recipient the remote refuses is bounced to the sender with an RFC 3464 DSN', async () => {
  await transport(local).sendMail({ from: ALICE, to: ['nobody@remote.test', CAROL], subject: 'partly undeliverable', text: 'x' });
  const dsn = await waitFor('DSN', async () => (await inboxMessages(local.store, ALICE)).find((m) => m.includes('Undelivered Mail Returned to Sender')));
  assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status/);
  assert.match(dsn, /Final-Recipient: rfc822; nobody@remote\.test/);
  assert.match(dsn, /Action: failed/);
  assert.match(dsn, /Status: 5\.1\.1/);
  assert.match(dsn, /Diagnostic-Code: smtp; 550 5\.1\.1/);
  assert.match(dsn, /Subject: partly undeliverable/);
  assert.doesNotMatch(dsn, /Final-Recipient: rfc822; carol/);
  assert.ok((await inboxMessages(remote.store, CAROL)).some((m) => m.includes('partly undeliverable')));
});

test('an unreachable host is retried with back-off, then bounced with 4.4.7', async () => {
  await transport(local).sendMail({ from: ALICE, to: 'someone@down.test', subject: 'never arrives', text: 'x' });
  const item = await waitFor('give up', async () =>
    (await local.store.listOutbound()).find((i) => i.recipients.some((r) => r.address === 'someone@down.test') && i.status === 'done'),
  );
  assert.equal(item.attempts, 3);
  assert.equal(item.recipients[0]!.status, 'failed');
  const dsn = await waitFor('DSN', async () => (await inboxMessages(local.store, ALICE)).find((m) => m.includes('someone@down.test')));
  assert.match(dsn, /Status: 4\.4\.7/);
});

test('next hops: MX by preference, implicit MX, null MX and non-existent domains', async () => {
  const mx = new NextHopResolver({
    resolveMx: async (d) => {
      if (d === 'multi.test') return [{ exchange: 'b.multi.test', priority: 20 }, { exchange: 'a.multi.test.', priority: 10 }];
      if (d === 'nullmx.test') return [{ exchange: '', priority: 0 }];
      const err = new Error(d) as NodeJS.ErrnoException;
      err.code = d === 'nomx.test' ? 'ENODATA' : d === 'gone.test' ? 'ENOTFOUND' : 'ETIMEOUT';
      throw err;
    },
  });
  const multi = await mx.resolve('multi.test');
  assert.ok(multi.ok);
  assert.deepEqual(multi.ok && multi.hops.map((h) => h.host), ['a.multi.test', 'b.multi.test']);
  const implicit = await mx.resolve('nomx.test');
  assert.ok(implicit.ok && implicit.hops[0]!.host === 'nomx.test' && implicit.hops[0]!.port === 25);
  const nullMx = await mx.resolve('nullmx.test');
  assert.ok(!nullMx.ok && nullMx.permanent && nullMx.status === '5.1.10');
  const gone = await mx.resolve('gone.test');
  assert.ok(!gone.ok && gone.permanent);
  const slow = await mx.resolve('timeout.test');
  assert.ok(!slow.ok && !slow.permanent);
  const smarthost = new NextHopResolver({ smarthost: { hosts: [{ host: 'relay.example', port: 587 }], auth: { user: 'u', pass: 'p' } } });
  const viaRelay = await smarthost.resolve('anything.example');
  assert.ok(viaRelay.ok && viaRelay.hops[0]!.host === 'relay.example' && viaRelay.hops[0]!.requireTls);
});
