// Mail authentication end to end, over real sockets and real DNS messages:
//  - outbound: a user's message, signed at submission with RSA and Ed25519 keys made as
//    `tessera dkim generate` makes them, relayed by the outbound worker to a second MTA on loopback
//    (test/support/smtp-sink), which verifies it with mailauth against the DNS stub;
//  - inbound on an MX listener: SPF, DKIM, DMARC (reject → 550, quarantine → Junk, pct=), ARC, one
//    Authentication-Results with our authserv-id, forged ones with our id removed.
// Every mailauth signing here is given its time (signTime): see test/delivery/signature-time.test.ts.
// DNS goes through the server's own resolver (node:dns, setServers) to test/support/dns-stub.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { authenticate, dkimSign } from 'mailauth';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { waitFor } from '../support/wait.js';
import { startDnsStub, type DnsStub } from '../support/dns-stub.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-recorder.js';
import { createDnsResolver, dnsRecord, DkimSigner, generateDkimKey, InboundVerifier } from '../../src/delivery/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DNSResolver } from 'mailauth';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const AUTHSERV = 'mx.example.test';

let dns: DnsStub;
let resolver: DNSResolver;
let sink: SmtpSink;
let submission: SmtpHarness;
let mx: SmtpHarness;
let keyDir: string;

before(async () => {
  dns = await startDnsStub();
  resolver = createDnsResolver({ servers: [dns.server], useSystem: false });
  sink = await startSmtpSink();
  keyDir = await mkdtemp(join(tmpdir(), 'tessera-dkim-'));
  const rsa = await generateDkimKey(keyDir, DOMAIN, 'rsa-test', 'rsa');
  const ed = await generateDkimKey(keyDir, DOMAIN, 'ed-test', 'ed25519');
  for (const { key } of [rsa, ed]) {
    const record = dnsRecord(key);
    dns.add(record.name, { type: 'TXT', value: record.value });
  }
  dns.add(`_dmarc.${DOMAIN}`, { type: 'TXT', value: 'v=DMARC1; p=reject' });
  dns.add(DOMAIN, { type: 'TXT', value: 'v=spf1 -all' });
  submission = await startHarness({
    signer: new DkimSigner({ keys: [rsa.key, ed.key], logger: silentLogger() }),
    outbound: { routes: { 'remote.test': { host: '127.0.0.1', port: sink.port } }, pollIntervalMs: 100, retryDelaysMs: [100] },
  });
  mx = await startHarness({
    mailAuth: new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger() }),
  });
});
after(async () => {
  await submission?.close();
  await mx?.close();
  await sink?.close();
  await dns?.close();
  await rm(keyDir, { recursive: true, force: true });
});

function mxSend(message: { envelope: { from: string; to: string[] }; raw: string }) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, ignoreTLS: true, name: 'relay.sender.test' });
  return t.sendMail(message);
}

function raw(from: string, subject: string, extra = ''): string {
  return `${extra}From: ${from}\r\nTo: ${BOB}\r\nSubject: ${subject}\r\nDate: Thu, 03 Dec 2026 17:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\nHello.\r\n`;
}

describe('outbound DKIM signing at submission', () => {
  test('a submitted message reaches a second MTA with passing RSA and Ed25519 signatures, and DMARC passes', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
    await t.sendMail({ from: ALICE, to: 'carol@remote.test', subject: 'signed for carol', text: 'a body\nwith lines\n.\n..dots\n' });
    const got = await waitFor('the sink receives the message', async () => sink.messages.find((m) => m.data.includes('signed for carol')));
    const text = got.data.toString('utf8');
    assert.equal(text.match(/^DKIM-Signature:/gm)?.length, 2, 'one signature per key');
    const result = await authenticate(got.data, { ip: '127.0.0.1', helo: got.helo, sender: got.mailFrom, mta: 'sink.remote.test', resolver, disableBimi: true });
    const byAlgorithm = new Map(result.dkim.results.map((r) => [String(r.status.header?.['a']), r.status.result]));
    assert.equal(byAlgorithm.get('rsa-sha256'), 'pass');
    assert.equal(byAlgorithm.get('ed25519-sha256'), 'pass');
    for (const r of result.dkim.results) assert.equal(r.signingDomain, DOMAIN);
    assert.ok(result.dmarc && result.dmarc.status.result === 'pass', 'aligned DKIM makes DMARC pass despite SPF -all');
  });

  test('a message whose From: the user does not own is refused, never signed or queued', async () => {
    const before = sink.messages.length;
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
    await assert.rejects(t.sendMail({ envelope: { from: ALICE, to: ['carol@remote.test'] }, raw: raw(BOB, 'not mine') }), (err: { responseCode?: number }) => err.responseCode === 550);
    assert.equal(sink.messages.length, before);
    assert.equal((await submission.store.listOutbound()).filter((i) => i.status !== 'done').length, 0);
  });
});

describe('inbound authentication on the MX', () => {
  before(() => {
    dns.add('bank.test', { type: 'TXT', value: 'v=spf1 ip4:192.0.2.1 -all' });
    dns.add('_dmarc.bank.test', { type: 'TXT', value: 'v=DMARC1; p=reject' });
    dns.add('shop.test', { type: 'TXT', value: 'v=spf1 ip4:192.0.2.1 -all' });
    dns.add('_dmarc.shop.test', { type: 'TXT', value: 'v=DMARC1; p=quarantine' });
    dns.add('sample.test', { type: 'TXT', value: 'v=spf1 ip4:192.0.2.1 -all' });
    dns.add('_dmarc.sample.test', { type: 'TXT', value: 'v=DMARC1; p=reject; pct=0' });
    dns.add('good.test', { type: 'TXT', value: 'v=spf1 ip4:127.0.0.1 -all' });
  });

  test('spoofed mail from a p=reject domain is refused with 550 5.7.1', async () => {
    await assert.rejects(
      mxSend({ envelope: { from: 'ceo@bank.test', to: [BOB] }, raw: raw('ceo@bank.test', 'wire the money') }),
      (err: { responseCode?: number; response?: string }) => err.responseCode === 550 && /5\.7\.1 .*DMARC/.test(err.response ?? ''),
    );
    assert.ok(!(await inboxMessages(mx.store, BOB)).some((m) => m.includes('wire the money')));
  });

  test('p=quarantine lands in Junk with dmarc=fail recorded', async () => {
    await mxSend({ envelope: { from: 'sales@shop.test', to: [BOB] }, raw: raw('sales@shop.test', 'cheap offer') });
    const junk = await waitFor('junk copy', async () => (await inboxMessages(mx.store, BOB, 'junk')).find((m) => m.includes('cheap offer')));
    assert.match(junk, /^Authentication-Results: mx\.example\.test;[\s\S]*dmarc=fail/m);
    assert.ok(!(await inboxMessages(mx.store, BOB)).some((m) => m.includes('cheap offer')), 'not in INBOX');
  });

  test('p=quarantine still lands in Junk when the recipient has a Sieve script that keeps (explicitly or implicitly)', async () => {
    await mx.store.ensureAccount(ALICE);
    await mx.store.putSieveScript(ALICE, 'main', 'require ["imap4flags"];\nif header :contains "subject" "explicit" { addflag "\\\\Flagged"; keep; }\n');
    await mx.store.setActiveSieveScript(ALICE, 'main');
    for (const subject of ['explicit keep offer', 'implicit keep offer']) {
      await mxSend({ envelope: { from: 'sales@shop.test', to: [ALICE] }, raw: raw('sales@shop.test', subject).replace(`To: ${BOB}`, `To: ${ALICE}`) });
      await waitFor(`junk copy of ${subject}`, async () => (await inboxMessages(mx.store, ALICE, 'junk')).find((m) => m.includes(subject)));
      assert.ok(!(await inboxMessages(mx.store, ALICE)).some((m) => m.includes(subject)), `${subject}: not in INBOX`);
    }
  });

  test('pct=0 applies the next weaker policy: p=reject becomes quarantine', async () => {
    await mxSend({ envelope: { from: 'a@sample.test', to: [BOB] }, raw: raw('a@sample.test', 'sampled out') });
    await waitFor('junk copy', async () => (await inboxMessages(mx.store, BOB, 'junk')).find((m) => m.includes('sampled out')));
  });

  test('unsigned mail with SPF pass gets one Authentication-Results: spf=pass, dkim=none, dmarc=none', async () => {
    await mxSend({ envelope: { from: 'news@good.test', to: [BOB] }, raw: raw('news@good.test', 'spf passes') });
    const mail = await waitFor('inbox copy', async () => (await inboxMessages(mx.store, BOB)).find((m) => m.includes('spf passes')));
    const ar = mail.split(/\r\n(?![ \t])/).filter((h) => /^Authentication-Results:/i.test(h));
    assert.equal(ar.length, 1);
    assert.match(ar[0]!, /^Authentication-Results: mx\.example\.test;/);
    assert.match(ar[0]!, /spf=pass[^;]*smtp\.mailfrom=news@good\.test/);
    assert.match(ar[0]!, /dkim=none/);
    assert.match(ar[0]!, /dmarc=none/);
  });

  test('a forged Authentication-Results with our authserv-id is removed; one of another host stays', async () => {
    const forged = `Authentication-Results: MX.example.test (forged);\r\n dkim=pass header.d=bank.test; dmarc=pass\r\nAuthentication-Results: other.test; spf=pass\r\n`;
    await mxSend({ envelope: { from: 'news@good.test', to: [BOB] }, raw: raw('news@good.test', 'forged results', forged) });
    const mail = await waitFor('inbox copy', async () => (await inboxMessages(mx.store, BOB)).find((m) => m.includes('forged results')));
    assert.doesNotMatch(mail, /\(forged\)/);
    assert.doesNotMatch(mail, /header\.d=bank\.test; dmarc=pass/);
    assert.match(mail, /^Authentication-Results: other\.test; spf=pass/m);
    assert.equal(mail.match(/^Authentication-Results: mx\.example\.test;/gim)?.length, 1);
  });

  test('ARC-sealed forwarded mail is verified: arc=pass', async () => {
    // origin.test signs; forwarder.test verifies and seals (ARC, RFC 8617) and forwards it to us.
    const origin = await generateDkimKey(keyDir, 'origin.test', 'o1', 'rsa');
    const forwarder = await generateDkimKey(keyDir, 'forwarder.test', 'arc1', 'rsa');
    for (const { key } of [origin, forwarder]) dns.add(dnsRecord(key).name, { type: 'TXT', value: dnsRecord(key).value });
    dns.add('forwarder.test', { type: 'TXT', value: 'v=spf1 ip4:127.0.0.1 -all' });
    const message = Buffer.from(raw('list@origin.test', 'forwarded with arc'));
    const signed = Buffer.concat([Buffer.from((await dkimSign(message, { signatureData: [{ signingDomain: 'origin.test', selector: 'o1', privateKey: origin.key.privateKey }], signTime: new Date() } as Parameters<typeof dkimSign>[1])).signatures), message]);
    const sealed = await authenticate(signed, {
      ip: '192.0.2.7', helo: 'mail.origin.test', sender: 'list@origin.test', mta: 'forwarder.test', resolver, disableBimi: true,
      seal: { signingDomain: 'forwarder.test', selector: 'arc1', privateKey: forwarder.key.privateKey, signTime: new Date() },
    });
    assert.match(sealed.headers, /^ARC-Seal:/m);
    await mxSend({ envelope: { from: 'fwd@forwarder.test', to: [BOB] }, raw: sealed.headers + signed.toString() });
    const mail = await waitFor('inbox copy', async () => (await inboxMessages(mx.store, BOB)).find((m) => m.includes('forwarded with arc')));
    const ar = mail.split(/\r\n(?![ \t])/).find((h) => h.startsWith(`Authentication-Results: ${AUTHSERV}`))!;
    assert.match(ar, /arc=pass/);
    assert.match(ar, /dkim=pass[^;]*header\.i=@origin\.test/);
  });

  test('authenticated submission on the same listener is not judged as MX mail, but cannot forge our results', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
    await t.sendMail({ envelope: { from: ALICE, to: [BOB] }, raw: raw(ALICE, 'internal note', `Authentication-Results: ${AUTHSERV}; dmarc=pass (planted)\r\n`) });
    const mail = await waitFor('inbox copy', async () => (await inboxMessages(mx.store, BOB)).find((m) => m.includes('internal note')));
    assert.doesNotMatch(mail, /^Authentication-Results:/m);
    assert.doesNotMatch(mail, /planted/);
  });
});

describe('ARC sealing of mail a Sieve redirect forwards (RFC 8617)', () => {
  // fwd: an MX for DOMAIN that verifies (the arrival verdict) and signs/seals with DOMAIN's keys, whose
  // user Bob redirects everything to carol@remote.test (the sink, a second MTA that verifies).
  let fwd: SmtpHarness;
  let origin: Awaited<ReturnType<typeof generateDkimKey>>;
  before(async () => {
    const rsa = await generateDkimKey(keyDir, DOMAIN, 'rsa-fwd', 'rsa');
    const ed = await generateDkimKey(keyDir, DOMAIN, 'ed-fwd', 'ed25519');
    for (const { key } of [rsa, ed]) dns.add(dnsRecord(key).name, { type: 'TXT', value: dnsRecord(key).value });
    origin = await generateDkimKey(keyDir, 'news.test', 'n1', 'rsa');
    dns.add(dnsRecord(origin.key).name, { type: 'TXT', value: dnsRecord(origin.key).value });
    dns.add('news.test', { type: 'TXT', value: 'v=spf1 ip4:192.0.2.1 -all' });
    dns.add('_dmarc.news.test', { type: 'TXT', value: 'v=DMARC1; p=reject' });
    fwd = await startHarness({
      signer: new DkimSigner({ keys: [ed.key, rsa.key], logger: silentLogger() }),
      mailAuth: new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger() }),
      outbound: { routes: { 'remote.test': { host: '127.0.0.1', port: sink.port } }, pollIntervalMs: 100, retryDelaysMs: [100] },
    });
    await fwd.store.ensureAccount(BOB);
    await fwd.store.putSieveScript(BOB, 'main', 'redirect "carol@remote.test";');
    await fwd.store.setActiveSieveScript(BOB, 'main');
  });
  after(async () => {
    await fwd?.close();
  });

  async function signedByNews(subject: string, extra = ''): Promise<Buffer> {
    const message = Buffer.from(raw('editor@news.test', subject, extra));
    const opts = { signatureData: [{ signingDomain: 'news.test', selector: 'n1', privateKey: origin.key.privateKey }], signTime: new Date() } as Parameters<typeof dkimSign>[1];
    return Buffer.concat([Buffer.from((await dkimSign(message, opts)).signatures), message]);
  }

  async function forwardedCopy(subject: string) {
    const got = await waitFor('the sink receives the redirect', async () => sink.messages.find((m) => m.data.includes(subject)));
    // The sink sees the forwarder's address and envelope: SPF for news.test fails there (192.0.2.1 only).
    const result = await authenticate(got.data, { ip: '127.0.0.1', helo: got.helo, sender: got.mailFrom, mta: 'sink.remote.test', resolver, disableBimi: true });
    return { text: got.data.toString('utf8'), result };
  }

  test('a DKIM-signed message arriving over the MX is redirected with an ARC set the sink verifies: arc=pass, i=1, cv=none', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: fwd.port, secure: false, ignoreTLS: true, name: 'mail.news.test' });
    await t.sendMail({ envelope: { from: 'editor@news.test', to: [BOB] }, raw: await signedByNews('arc forward one') });
    const { text, result } = await forwardedCopy('arc forward one');
    assert.ok(result.arc, 'the sink found an ARC chain');
    assert.equal(result.arc.status.result, 'pass', JSON.stringify(result.arc.status));
    assert.equal(result.arc.i, 1);
    const seal = /^ARC-Seal: (.*(?:\r\n[ \t].*)*)/m.exec(text)![1]!;
    assert.match(seal, /\bi=1;/);
    assert.match(seal, /\bcv=none\b/);
    assert.match(seal, new RegExp(`\\bd=${DOMAIN.replace(/\./g, '\\.')}\\b`));
    assert.match(seal, /\bs=rsa-fwd\b/, 'sealed with the RSA key (ARC allows rsa-sha256 only)');
    // ARC-Authentication-Results carries the verdict computed on arrival.
    const aar = /^ARC-Authentication-Results: (.*(?:\r\n[ \t].*)*)/m.exec(text)![1]!;
    assert.match(aar, new RegExp(`^i=1; ${AUTHSERV.replace(/\./g, '\\.')};`));
    assert.match(aar, /dkim=pass[^;]*header\.i=@news\.test/);
    assert.match(aar, /spf=fail/);
    // What ARC is for: the original signature still passes, SPF does not.
    assert.ok(result.spf && result.spf.status.result === 'fail', 'SPF of news.test fails at the sink');
    assert.ok(result.dkim.results.some((r) => r.signingDomain === 'news.test' && r.status.result === 'pass'));
  });

  test('a message already carrying an ARC chain gets the next instance: i=2, cv=pass, and the whole chain passes at the sink', async () => {
    const relay = await generateDkimKey(keyDir, 'relay.test', 'arc1', 'rsa');
    dns.add(dnsRecord(relay.key).name, { type: 'TXT', value: dnsRecord(relay.key).value });
    const signed = await signedByNews('arc forward two');
    const first = await authenticate(signed, {
      ip: '192.0.2.1', helo: 'mail.news.test', sender: 'editor@news.test', mta: 'relay.test', resolver, disableBimi: true,
      seal: { signingDomain: 'relay.test', selector: 'arc1', privateKey: relay.key.privateKey, signTime: new Date() },
    });
    assert.match(first.headers, /^ARC-Seal: i=1;/m);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: fwd.port, secure: false, ignoreTLS: true, name: 'mail.relay.test' });
    await t.sendMail({ envelope: { from: 'lists@relay.test', to: [BOB] }, raw: first.headers + signed.toString() });
    const { text, result } = await forwardedCopy('arc forward two');
    assert.ok(result.arc);
    assert.equal(result.arc.status.result, 'pass', JSON.stringify(result.arc.status));
    assert.equal(result.arc.i, 2);
    const seals = text.match(/^ARC-Seal: .*/gm) ?? [];
    assert.equal(seals.length, 2);
    assert.ok(seals.some((h) => /\bi=2;/.test(h) && /\bcv=pass\b/.test(h)), seals.join('\n'));
    const aar = text.match(/^ARC-Authentication-Results: i=2; .*(?:\r\n[ \t].*)*/m)?.[0] ?? '';
    assert.match(aar, /arc=pass/);
  });
});

describe('the verifier on its own', () => {
  test("dmarc.enforce=quarantine never rejects; none only records", async () => {
    const bytes = Buffer.from(raw('ceo@bank.test', 'override'));
    const input = { mailFrom: 'ceo@bank.test', helo: 'x.test', ip: '127.0.0.1', bytes };
    const q = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'quarantine', logger: silentLogger() });
    assert.equal((await q.check(input)).action, 'quarantine');
    const n = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'none', logger: silentLogger() });
    const verdict = await n.check(input);
    assert.equal(verdict.action, 'deliver');
    assert.match(verdict.edit.prepend, /dmarc=fail/);
  });

  test('pct= sampling: inside the sample the policy applies, outside the next weaker one', async () => {
    dns.add('half.test', { type: 'TXT', value: 'v=spf1 -all' });
    dns.add('_dmarc.half.test', { type: 'TXT', value: 'v=DMARC1; p=reject; pct=50' });
    const input = { mailFrom: 'a@half.test', helo: 'x.test', ip: '127.0.0.1', bytes: Buffer.from(raw('a@half.test', 'half')) };
    const inside = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger(), sample: () => 49 });
    const outside = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger(), sample: () => 50 });
    assert.equal((await inside.check(input)).action, 'reject');
    assert.equal((await outside.check(input)).action, 'quarantine');
  });

  test('checks that outlast the deadline (a DNS server that never answers) deliver with temperror', async () => {
    dns.silence('slow.test');
    const v = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger(), deadlineMs: 200 });
    const verdict = await v.check({ mailFrom: 'a@slow.test', helo: 'x.test', ip: '127.0.0.1', bytes: Buffer.from(raw('a@slow.test', 'slow')) });
    assert.equal(verdict.action, 'deliver');
    assert.match(verdict.edit.prepend, /^Authentication-Results: mx\.example\.test; dkim=temperror; spf=temperror; dmarc=temperror/);
  });

  test('a header block over 256 KiB is refused without being handed to mailauth', async () => {
    const huge = Buffer.from(`From: a@good.test\r\n${'X-Pad: '.concat('y'.repeat(990), '\r\n').repeat(300)}\r\nbody\r\n`);
    const v = new InboundVerifier({ resolver, authservId: AUTHSERV, enforcement: 'policy', logger: silentLogger() });
    const verdict = await v.check({ mailFrom: 'a@good.test', helo: 'x.test', ip: '127.0.0.1', bytes: huge });
    assert.equal(verdict.action, 'reject');
    assert.ok(verdict.action === 'reject' && verdict.code === 552);
  });
});
