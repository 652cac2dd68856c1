// MTA-STS (RFC 8461) for outbound delivery over real sockets: recipient domains, their MX hosts and
// `_mta-sts` TXT records come from a DNS stub on loopback UDP, policies from a local HTTPS server,
// and the MX is an SMTP sink with STARTTLS; one private certificate (trusted through tlsCa) names the
// policy hosts and mx.sts.test but not mx.nocert.test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import nodemailer from 'nodemailer';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { startDnsStub, type DnsStub } from '../support/dns-stub.js';
import { waitFor } from '../support/wait.js';
import { mxMatches, parseStsPolicy, parseStsRecord } from '../../src/delivery/outbound/mta-sts.js';

const ALICE = `alice@${DOMAIN}`;
const POLICIES: Record<string, string> = {
  'mta-sts.sts.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n',
  'mta-sts.mismatch.test': 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n',
  'mta-sts.nocert.test': 'version: STSv1\nmode: enforce\nmx: *.nocert.test\nmax_age: 86400\n',
  'mta-sts.testing.test': 'version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 86400\n',
};

let h: SmtpHarness;
let sink: SmtpSink;
let dns: DnsStub;
let web: https.Server;
const fetched: string[] = [];

before(async () => {
  const names = ['mx.sts.test', ...Object.keys(POLICIES)];
  const pems = await generate([{ name: 'commonName', value: 'mx.sts.test' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
    ],
  });
  const key = Buffer.from(pems.private);
  const cert = Buffer.from(pems.cert);
  sink = await SmtpSink.start({ tls: { key, cert } });
  web = https.createServer({ key, cert }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    fetched.push(`${host}${req.url}`);
    const policy = POLICIES[host];
    if (req.url !== '/.well-known/mta-sts.txt' || !policy) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(policy);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  const sts = 'v=STSv1; id=20261203T000000';
  dns = await startDnsStub();
  for (const d of ['sts.test', 'mismatch.test', 'testing.test', 'nocert.test']) {
    dns.add(d, { type: 'MX', exchange: d === 'nocert.test' ? 'mx.nocert.test' : 'mx.sts.test', preference: 10 });
    dns.add(`_mta-sts.${d}`, { type: 'TXT', value: sts });
  }
  for (const n of ['mx.sts.test', 'mx.nocert.test', ...Object.keys(POLICIES)]) dns.add(n, { type: 'A', value: '127.0.0.1' });
  h = await startHarness({
    outbound: {
      dns: { servers: [dns.server], useSystem: false },
      mxPort: sink.port,
      mtaStsPort: (web.address() as AddressInfo).port,
      tlsCa: [cert],
      retryDelaysMs: [100, 100],
      pollIntervalMs: 100,
    },
  });
});

after(async () => {
  await h.close();
  await sink.close();
  await dns.close();
  await new Promise<void>((r) => web.close(() => r()));
});

function send(to: string, subject: string) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: h.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
  return t.sendMail({ from: ALICE, to, subject, text: 'policy test' });
}

async function bounceFor(subject: string): Promise<string> {
  return waitFor(`bounce for ${subject}`, async () => (await inboxMessages(h.store, ALICE)).find((m) => m.includes(`Subject: ${subject}`) && m.includes('Action: failed')));
}

test('policy syntax: TXT record, policy file, MX patterns', () => {
  assert.equal(parseStsRecord('v=STSv1; id=20160831085700Z;'), '20160831085700Z');
  assert.equal(parseStsRecord('v=STSv2; id=1'), undefined);
  assert.equal(parseStsRecord('v=STSv1; id=has-dash'), undefined);
  assert.deepEqual(parseStsPolicy('version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n'), {
    mode: 'enforce',
    mx: ['mail.example.com', '*.example.net'],
    maxAge: 604800,
  });
  assert.equal(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1\n'), undefined);
  assert.equal(parseStsPolicy('mode: enforce\nmx: a\nmax_age: 1\n'), undefined);
  assert.ok(mxMatches(['*.example.net'], 'mx1.example.net'));
  assert.ok(!mxMatches(['*.example.net'], 'a.b.example.net'));
  assert.ok(!mxMatches(['*.example.net'], 'example.net'));
  assert.ok(mxMatches(['mail.example.com'], 'MAIL.example.com.'));
});

test('enforce: delivered to the listed MX over STARTTLS with a verified certificate', async () => {
  await send('rcpt@sts.test', 'sts enforce ok');
  const got = await waitFor('delivery', () => sink.messages.find((m) => m.data.toString().includes('sts enforce ok')));
  assert.equal(got.tls, true);
  assert.ok(fetched.includes('mta-sts.sts.test/.well-known/mta-sts.txt'));
  assert.ok(dns.queries.includes('_mta-sts.sts.test TXT'));
});

test('enforce: an MX the policy does not list gets nothing; the message waits, then bounces', async () => {
  await send('rcpt@mismatch.test', 'sts mismatch');
  const dsn = await bounceFor('sts mismatch');
  assert.match(dsn, /Status: 4\.4\.7/);
  assert.match(dsn, /MTA-STS: no MX host of mismatch\.test is allowed/);
  assert.ok(!sink.messages.some((m) => m.data.toString().includes('sts mismatch')));
});

test('enforce: a listed MX whose certificate does not name it gets nothing', async () => {
  await send('rcpt@nocert.test', 'sts bad certificate');
  const dsn = await bounceFor('sts bad certificate');
  assert.match(dsn, /MTA-STS enforce: Hostname\/IP does not match certificate/);
  assert.ok(!sink.messages.some((m) => m.data.toString().includes('sts bad certificate')));
});

test('testing mode: delivered as usual, even to an MX the policy does not list', async () => {
  await send('rcpt@testing.test', 'sts testing mode');
  await waitFor('delivery', () => sink.messages.find((m) => m.data.toString().includes('sts testing mode')));
  assert.ok(fetched.includes('mta-sts.testing.test/.well-known/mta-sts.txt'));
});
