// What was acknowledged is never lost: the outbound queue survives a restart and an abandoned lease,
// local deliveries are announced on the event bus, and implicit TLS (SMTPS) works end to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { AccountEvent } from '../../src/events/types.js';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { waitFor } from '../support/wait.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = 'carol@remote.test';

let remote: SmtpHarness;
before(async () => {
  remote = await startHarness({ startWorker: false, domains: ['remote.test'], users: { [CAROL]: 'carol-secret-password' } });
});
after(async () => {
  await remote.close();
});

test('mail queued before a restart is delivered after it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-smtp-restart-'));
  try {
    const routes = { 'remote.test': { host: '127.0.0.1', port: remote.port } };
    const first = await startHarness({ dir, startWorker: false, outbound: { routes } });
    const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: first.port, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
    await mailer.sendMail({ from: ALICE, to: CAROL, subject: 'survives restart', text: 'x' });
    assert.equal((await first.store.listOutbound({ status: 'queued' })).length, 1);
    await first.close();

    const second = await startHarness({ dir, outbound: { routes } });
    try {
      await waitFor('delivery after restart', async () => (await inboxMessages(remote.store, CAROL)).some((m) => m.includes('survives restart')));
      await waitFor('item done', async () => (await second.store.listOutbound({ status: 'done' })).length === 1);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an item leased by a worker that died is delivered once the lease expires', async () => {
  const h = await startHarness({ startWorker: false, outbound: { routes: { 'remote.test': { host: '127.0.0.1', port: remote.port } }, pollIntervalMs: 100 } });
  try {
    await h.store.enqueueOutbound({ sender: ALICE, recipients: [CAROL], bytes: Buffer.from('Subject: orphaned lease\r\n\r\nx\r\n') });
    const claimed = await h.store.claimOutbound({ owner: 'crashed-worker', leaseMs: 300, limit: 10 });
    assert.equal(claimed.length, 1);
    h.core.worker.start();
    await waitFor('delivery after lease expiry', async () => (await inboxMessages(remote.store, CAROL)).some((m) => m.includes('orphaned lease')));
  } finally {
    await h.close();
  }
});

test('local delivery is published on the event bus as a delivery', async () => {
  const h = await startHarness({ startWorker: false });
  try {
    await h.store.ensureAccount(BOB);
    const seen: AccountEvent[] = [];
    const unsubscribe = h.events.onAccount(BOB, (e) => seen.push(e));
    const { client } = await RawSmtpClient.connect(h.port);
    await client.command('EHLO me');
    await client.command('MAIL FROM:<x@y.example>');
    await client.command(`RCPT TO:<${BOB}>`);
    await client.command('DATA');
    assert.equal((await client.command('Subject: push me\r\n\r\nx\r\n.')).code, 250);
    client.close();
    const added = await waitFor('event', async () => seen.find((e) => e.type === 'messages-added'));
    assert.equal(added.type === 'messages-added' && added.delivery, true);
    unsubscribe();
  } finally {
    await h.close();
  }
});

test('SMTPS (implicit TLS): no STARTTLS offered, passwords accepted under requireSSL', async () => {
  const h = await startHarness({ startWorker: false, auth: { requireSSL: true }, config: { tls: { ...(await import('./certificate.js').then((m) => m.testCertificate())), socketTLS: true, startTLS: false, selfSigned: true } } });
  try {
    assert.match(h.server.describe()[0]!, /^smtps:\/\/127\.0\.0\.1:\d+ \(TLS\)$/);
    const { client, greeting } = await RawSmtpClient.connect(h.port, { tls: true });
    assert.equal(greeting.code, 220);
    const ehlo = await client.command('EHLO me');
    assert.ok(!ehlo.lines.includes('STARTTLS'));
    assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN'));
    const ir = Buffer.from(`\0${ALICE}\0${USERS[ALICE]}`).toString('base64');
    assert.match((await client.command(`AUTH PLAIN ${ir}`)).text, /^235 2\.7\.0/);
    client.close();
    const info = await nodemailer
      .createTransport({ host: '127.0.0.1', port: h.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } })
      .sendMail({ from: ALICE, to: BOB, subject: 'over smtps', text: 'x' });
    assert.deepEqual(info.accepted, [BOB]);
    assert.match((await inboxMessages(h.store, BOB)).at(-1)!, /with ESMTPSA id/);
  } finally {
    await h.close();
  }
});

test('start() rejects, naming the address, when the port is taken', async () => {
  const h = await startHarness({ startWorker: false });
  try {
    const { SmtpServer } = await import('../../src/smtp/server.js');
    const { smtpConfig } = await import('./harness.js');
    const clash = new SmtpServer(await smtpConfig({ bind: [{ host: '127.0.0.1', port: h.port }] }), {
      auth: h.auth, users: h.users.users, domains: h.users.domains, delivery: h.core.service, logger: h.logger, sessions: h.sessions, spoolDir: `${h.dir}/spool`,
    });
    await assert.rejects(clash.start(), new RegExp(`127\\.0\\.0\\.1:${h.port}`));
  } finally {
    await h.close();
  }
});
