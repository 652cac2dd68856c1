// DSN (RFC 3461/3464), SMTPUTF8 relaying (RFC 6531 §3.4), REQUIRETLS (RFC 8689) and outbound
// connection reuse, end to end over real sockets: clients (nodemailer, a raw SMTP client) submit to a
// Tessera server whose outbound worker relays to SMTP sinks on loopback with the extensions each test
// needs; the reports that come back are parsed as MIME (mailparser) and inspected field by field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import net from 'node:net';
import nodemailer from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { DOMAIN, USERS, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { RawSmtpClient } from './raw-client.js';
import { testCertificate } from './certificate.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { waitFor } from '../support/wait.js';
import { HopConnectionPool } from '../../src/delivery/outbound/connection-pool.js';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;

let h: SmtpHarness;
let dsnSink: SmtpSink;
let plainSink: SmtpSink;
let utf8Sink: SmtpSink;
let requireTlsSink: SmtpSink;
let tlsOnlySink: SmtpSink;
let reuseSink: SmtpSink;
let deadPort: number;

before(async () => {
  const { key, cert } = await testCertificate();
  dsnSink = await SmtpSink.start({ dsn: true, smtputf8: true, rejectPrefix: 'reject' });
  plainSink = await SmtpSink.start({ rejectPrefix: 'reject' });
  utf8Sink = await SmtpSink.start({ smtputf8: true });
  requireTlsSink = await SmtpSink.start({ tls: { key, cert }, requireTls: true });
  tlsOnlySink = await SmtpSink.start({ tls: { key, cert } });
  reuseSink = await SmtpSink.start({});
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const at = (sink: SmtpSink) => ({ host: '127.0.0.1', port: sink.port });
  h = await startHarness({
    // Loopback clients relay without AUTH, so raw clients can give each recipient its own NOTIFY.
    config: { authorizedAddresses: ['127.0.0.0/8'] },
    outbound: {
      routes: {
        'dsn.test': at(dsnSink),
        'plain.test': at(plainSink),
        'utf8.test': at(utf8Sink),
        'requiretls.test': at(requireTlsSink),
        'tlsonly.test': at(tlsOnlySink),
        'reuse.test': at(reuseSink),
        'down.test': { host: '127.0.0.1', port: deadPort },
      },
      pollIntervalMs: 100,
      retryDelaysMs: [150, 150],
      // Every deferral is "late enough" here, so the first one produces the delay report.
      delayReportAfterMs: 1,
      pool: { maxConnectionsPerDestination: 1, idleMs: 60_000 },
      tlsCa: [cert],
    },
  });
});

after(async () => {
  await h.close();
  for (const s of [dsnSink, plainSink, utf8Sink, requireTlsSink, tlsOnlySink, reuseSink]) await s.close();
});

/** A raw client that said EHLO (and did STARTTLS when asked). */
async function raw(options: { starttls?: boolean } = {}): Promise<RawSmtpClient> {
  const { client } = await RawSmtpClient.connect(h.port);
  await client.command('EHLO client.test');
  if (options.starttls) {
    assert.equal((await client.command('STARTTLS')).code, 220);
    await client.upgrade();
    await client.command('EHLO client.test');
  }
  return client;
}

/** Sends one message over a raw client: every command must succeed. */
async function rawSend(mail: string, rcpts: string[], subject: string, options: { starttls?: boolean; body?: string; from?: string } = {}): Promise<void> {
  const c = await raw(options);
  try {
    const m = await c.command(mail);
    assert.equal(m.code, 250, m.text);
    for (const r of rcpts) {
      const reply = await c.command(r);
      assert.equal(reply.code, 250, reply.text);
    }
    assert.equal((await c.command('DATA')).code, 354);
    const from = options.from ?? ALICE;
    const end = await c.command(`From: <${from}>\r\nTo: <x@y>\r\nSubject: ${subject}\r\n\r\n${options.body ?? 'body text'}\r\n.`);
    assert.equal(end.code, 250, end.text);
    await c.command('QUIT');
  } finally {
    c.close();
  }
}

interface Report {
  mail: ParsedMail;
  /** The message/delivery-status part: per-message fields, then one block per recipient. */
  perMessage: Map<string, string>;
  recipients: Array<Map<string, string>>;
  /** The third part: its content type and text. */
  returned: { type: string; text: string };
}

function fields(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

async function parseReport(text: string): Promise<Report> {
  const mail = await simpleParser(Buffer.from(text, 'utf8'), { keepDeliveryStatus: true } as Parameters<typeof simpleParser>[1]);
  const ct = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(ct.value, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  const status = mail.attachments.find((a) => /delivery-status$/.test(a.contentType));
  assert.ok(status, 'a message/delivery-status part');
  const blocks = status.content.toString('utf8').split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
  const returned = mail.attachments.find((a) => a !== status)!;
  assert.ok(returned, 'a returned-content part');
  return {
    mail,
    perMessage: fields(blocks[0]!),
    recipients: blocks.slice(1).map(fields),
    returned: { type: returned.contentType, text: returned.content.toString('utf8') },
  };
}

/** The reports in a user's INBOX about the message with this subject (by its returned headers). */
async function reportsAbout(user: string, subject: string): Promise<string[]> {
  return (await inboxMessages(h.store, user)).filter((m) => m.includes('From: Mail Delivery System') && m.includes(`Subject: ${subject}`));
}

test('EHLO offers DSN, and REQUIRETLS only over TLS', async () => {
  const c = await raw();
  const ehlo = await c.command('EHLO again.test');
  assert.match(ehlo.text, /250-DSN/);
  assert.doesNotMatch(ehlo.text, /REQUIRETLS/);
  assert.equal((await c.command('STARTTLS')).code, 220);
  await c.upgrade();
  const secure = await c.command('EHLO again.test');
  assert.match(secure.text, /REQUIRETLS/);
  c.close();
});

test('DSN parameters are validated with the replies RFC 3461 asks for', async () => {
  const c = await raw();
  const cases: Array<[string, RegExp]> = [
    [`MAIL FROM:<${ALICE}> RET=BODY`, /^501 5\.5\.4/],
    [`MAIL FROM:<${ALICE}> RET=FULL RET=HDRS`, /^501 5\.5\.4 Parameter RET given twice/],
    [`MAIL FROM:<${ALICE}> ENVID=bad+zz`, /^501 5\.5\.4/],
    [`MAIL FROM:<${ALICE}> ENVID=${'x'.repeat(101)}`, /^501 5\.5\.4/],
    [`MAIL FROM:<${ALICE}> ENVID`, /^501 5\.5\.4/],
    [`MAIL FROM:<${ALICE}> REQUIRETLS`, /^530 5\.7\.10/],
    [`MAIL FROM:<${ALICE}> XDSN=1`, /^555 5\.5\.4/],
  ];
  for (const [command, expected] of cases) assert.match((await c.command(command)).text, expected, command);
  assert.equal((await c.command(`MAIL FROM:<${ALICE}> RET=hdrs ENVID=QQ+2B1`)).code, 250);
  const rcpts: Array<[string, RegExp]> = [
    [`RCPT TO:<${BOB}> NOTIFY=NEVER,SUCCESS`, /^501 5\.5\.4/],
    [`RCPT TO:<${BOB}> NOTIFY=SOMETIMES`, /^501 5\.5\.4/],
    [`RCPT TO:<${BOB}> NOTIFY=SUCCESS,SUCCESS`, /^501 5\.5\.4/],
    [`RCPT TO:<${BOB}> ORCPT=bob@example.test`, /^501 5\.5\.4/],
    [`RCPT TO:<${BOB}> ORCPT=rfc822;bob+0A@x`, /^501 5\.5\.4/],
    [`RCPT TO:<${BOB}> NOTIFY=SUCCESS NOTIFY=FAILURE`, /^501 5\.5\.4/],
  ];
  for (const [command, expected] of rcpts) assert.match((await c.command(command)).text, expected, command);
  assert.match((await c.command(`RCPT TO:<${BOB}> ORCPT=utf-8;jörg@example.test`)).text, /^501 5\.5\.4 Non-ASCII ORCPT requires SMTPUTF8/);
  assert.equal((await c.command(`RCPT TO:<${BOB}> NOTIFY=success,delay ORCPT=rfc822;Bob+2Bdsn@example.test`)).code, 250);
  c.close();
  // RFC 6533: in an SMTPUTF8 transaction a utf-8 ORCPT may be raw UTF-8 or use \x{…} escapes.
  const u = await raw();
  assert.equal((await u.command(`MAIL FROM:<${ALICE}> SMTPUTF8`)).code, 250);
  assert.equal((await u.command(`RCPT TO:<${BOB}> ORCPT=utf-8;jörg@example.test`)).code, 250);
  assert.equal((await u.command(`RCPT TO:<${ALICE}> ORCPT=utf-8;j\\x{F6}rg@example.test`)).code, 250);
  assert.match((await u.command(`RCPT TO:<${ALICE}> ORCPT=utf-8;j\\x{D800}rg@example.test`)).text, /^501 /);
  u.close();
  // Without EHLO there are no ESMTP parameters at all.
  const { client: old } = await RawSmtpClient.connect(h.port);
  await old.command('HELO old.test');
  assert.equal((await old.command(`MAIL FROM:<${ALICE}>`)).code, 250);
  assert.match((await old.command(`RCPT TO:<${BOB}> NOTIFY=NEVER`)).text, /^555 5\.5\.4/);
  old.close();
});

test('NOTIFY=SUCCESS on local delivery: a "delivered" report with ENVID and ORCPT (nodemailer)', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS[ALICE]! } });
  await transport.sendMail({
    from: ALICE,
    to: BOB,
    subject: 'local success please',
    text: 'SECRET LOCAL BODY',
    dsn: { id: 'env-local-1', return: 'full', notify: 'success', recipient: 'bob-original@example.test' },
  });
  assert.ok((await inboxMessages(h.store, BOB)).some((m) => m.includes('Subject: local success please')));
  const [text] = await waitFor('success report', async () => {
    const r = await reportsAbout(ALICE, 'local success please');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  assert.equal(report.mail.subject, 'Successful Mail Delivery Report');
  assert.equal(report.perMessage.get('reporting-mta'), 'dns; mx.example.test');
  assert.equal(report.perMessage.get('original-envelope-id'), 'env-local-1');
  assert.equal(report.recipients.length, 1);
  const r = report.recipients[0]!;
  assert.equal(r.get('action'), 'delivered');
  assert.equal(r.get('status'), '2.0.0');
  assert.equal(r.get('final-recipient'), `rfc822; ${BOB}`);
  assert.equal(r.get('original-recipient'), 'rfc822;bob-original@example.test');
  // RET=FULL concerns failures only: a success report returns the headers.
  assert.equal(report.returned.type, 'text/rfc822-headers');
  assert.match(report.returned.text, /Subject: local success please/);
  assert.doesNotMatch(text!, /SECRET LOCAL BODY/);
});

test('failures follow each recipient\'s NOTIFY; RET=FULL returns the whole message', async () => {
  await rawSend(
    `MAIL FROM:<${ALICE}> RET=FULL ENVID=fail+2Bcase`,
    [
      'RCPT TO:<reject-never@plain.test> NOTIFY=NEVER',
      'RCPT TO:<reject-failure@plain.test> NOTIFY=FAILURE ORCPT=rfc822;first+2Bfail@plain.test',
      'RCPT TO:<reject-default@plain.test>',
      'RCPT TO:<reject-success@plain.test> NOTIFY=SUCCESS',
    ],
    'failing per notify',
    { body: 'THE WHOLE BODY' },
  );
  const [text] = await waitFor('failure report', async () => {
    const r = await reportsAbout(ALICE, 'failing per notify');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  assert.equal(report.mail.subject, 'Undelivered Mail Returned to Sender');
  assert.equal(report.perMessage.get('original-envelope-id'), 'fail+case');
  const finals = report.recipients.map((r) => r.get('final-recipient')).sort();
  assert.deepEqual(finals, ['rfc822; reject-default@plain.test', 'rfc822; reject-failure@plain.test']);
  const failure = report.recipients.find((r) => r.get('final-recipient') === 'rfc822; reject-failure@plain.test')!;
  assert.equal(failure.get('action'), 'failed');
  assert.equal(failure.get('status'), '5.1.1');
  assert.equal(failure.get('original-recipient'), 'rfc822;first+fail@plain.test');
  assert.equal(failure.get('remote-mta'), 'dns; 127.0.0.1');
  assert.match(failure.get('diagnostic-code')!, /^smtp; 550 5\.1\.1/);
  assert.equal(report.returned.type, 'message/rfc822');
  assert.match(report.returned.text, /THE WHOLE BODY/);
});

test('RET=HDRS failure reports carry only the headers', async () => {
  await rawSend(`MAIL FROM:<${ALICE}> RET=HDRS`, ['RCPT TO:<reject-hdrs@plain.test>'], 'headers only please', { body: 'HIDDEN BODY' });
  const [text] = await waitFor('failure report', async () => {
    const r = await reportsAbout(ALICE, 'headers only please');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  assert.equal(report.returned.type, 'text/rfc822-headers');
  assert.doesNotMatch(text!, /HIDDEN BODY/);
});

test('relay to a hop without DSN: NOTIFY=SUCCESS gets "relayed"; to a DSN hop the parameters are passed on', async () => {
  await rawSend(
    `MAIL FROM:<${ALICE}> RET=HDRS ENVID=relay-1`,
    ['RCPT TO:<carol@plain.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol+2Borig@plain.test', 'RCPT TO:<quiet@plain.test>'],
    'relayed onward',
  );
  const [text] = await waitFor('relayed report', async () => {
    const r = await reportsAbout(ALICE, 'relayed onward');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  // Without NOTIFY, success is not reported: quiet@ is not listed.
  assert.equal(report.recipients.length, 1);
  assert.equal(report.recipients[0]!.get('final-recipient'), 'rfc822; carol@plain.test');
  assert.equal(report.recipients[0]!.get('action'), 'relayed');
  assert.equal(report.recipients[0]!.get('status'), '2.0.0');
  assert.equal(report.recipients[0]!.get('original-recipient'), 'rfc822;carol+orig@plain.test');
  assert.equal(report.perMessage.get('original-envelope-id'), 'relay-1');
  const plain = plainSink.messages.find((m) => m.data.toString().includes('Subject: relayed onward'))!;
  assert.doesNotMatch(plain.mail, /RET=|ENVID=/);
  assert.doesNotMatch(plain.rcpts[0]!, /NOTIFY=/);

  await rawSend(
    `MAIL FROM:<${ALICE}> RET=HDRS ENVID=relay-2`,
    ['RCPT TO:<dave@dsn.test> NOTIFY=SUCCESS ORCPT=rfc822;dave+2Borig@dsn.test', 'RCPT TO:<erin@dsn.test> NOTIFY=NEVER', 'RCPT TO:<frank@dsn.test>'],
    'passed on with dsn',
  );
  const passed = await waitFor('delivery to the DSN hop', () => {
    const got = dsnSink.messages.filter((m) => m.data.toString().includes('Subject: passed on with dsn'));
    return got.reduce((n, m) => n + m.rcpts.length, 0) === 3 && got;
  });
  for (const m of passed) assert.match(m.mail, / RET=HDRS/), assert.match(m.mail, / ENVID=relay-2/);
  const rcpts = passed.flatMap((m) => m.rcpts);
  assert.ok(rcpts.some((r) => r.startsWith('RCPT TO:<dave@dsn.test>') && / NOTIFY=SUCCESS/.test(r) && / ORCPT=rfc822;dave\+2Borig@dsn\.test/.test(r)), rcpts.join('\n'));
  assert.ok(rcpts.some((r) => r.startsWith('RCPT TO:<erin@dsn.test>') && / NOTIFY=NEVER/.test(r)), rcpts.join('\n'));
  assert.ok(rcpts.some((r) => r === 'RCPT TO:<frank@dsn.test>'), rcpts.join('\n'));
  // The DSN hop reports from now on: we send nothing for dave.
  const item = await waitFor('queue item done', async () =>
    (await h.store.listOutbound()).find((i) => i.envelope.envid === 'relay-2' && i.status === 'done'),
  );
  assert.ok(item.recipients.every((r) => r.status === 'delivered'));
  assert.equal((await reportsAbout(ALICE, 'passed on with dsn')).length, 0);
});

test('NOTIFY=DELAY: a "delayed" report once; the final failure only for NOTIFY=FAILURE', async () => {
  await rawSend(`MAIL FROM:<${ALICE}> ENVID=slow-1`, ['RCPT TO:<late@down.test> NOTIFY=DELAY', 'RCPT TO:<lost@down.test> NOTIFY=FAILURE'], 'slow destination');
  const failed = await waitFor('final failure report', async () => {
    const all = await reportsAbout(ALICE, 'slow destination');
    return all.find((m) => m.includes('Action: failed'));
  });
  const failure = await parseReport(failed);
  assert.deepEqual(failure.recipients.map((r) => r.get('final-recipient')), ['rfc822; lost@down.test']);
  assert.equal(failure.recipients[0]!.get('status'), '4.4.7');
  const all = await reportsAbout(ALICE, 'slow destination');
  const delayed = all.filter((m) => m.includes('Action: delayed'));
  // Delay reports precede the final attempt, so they are all in by now: exactly one, for late@ only.
  assert.equal(delayed.length, 1);
  const delay = await parseReport(delayed[0]!);
  assert.equal(delay.mail.subject, 'Delayed Mail (still being retried)');
  assert.deepEqual(delay.recipients.map((r) => r.get('final-recipient')), ['rfc822; late@down.test']);
  assert.match(delay.recipients[0]!.get('status')!, /^4\./);
  assert.ok(delay.recipients[0]!.get('will-retry-until'));
  assert.equal(delay.perMessage.get('original-envelope-id'), 'slow-1');
});

test('SMTPUTF8: relayed only to a hop that offers it, else bounced with 5.6.7 (RFC 6531 §3.4)', async () => {
  await rawSend(`MAIL FROM:<${ALICE}> SMTPUTF8`, ['RCPT TO:<jöran@utf8.test>'], 'utf8 to a utf8 hop', { body: 'grüße' });
  const got = await waitFor('UTF-8 delivery', () => utf8Sink.messages.find((m) => m.data.toString().includes('utf8 to a utf8 hop')));
  assert.match(got.mail, / SMTPUTF8/);
  assert.equal(got.rcpts[0], 'RCPT TO:<jöran@utf8.test>');
  assert.match(got.data.toString('utf8'), /grüße/);

  await rawSend(`MAIL FROM:<${ALICE}> SMTPUTF8`, ['RCPT TO:<jöran@plain.test>'], 'utf8 to an ascii hop');
  const [text] = await waitFor('SMTPUTF8 bounce', async () => {
    const r = await reportsAbout(ALICE, 'utf8 to an ascii hop');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  assert.equal(report.recipients[0]!.get('status'), '5.6.7');
  assert.equal(report.recipients[0]!.get('action'), 'failed');
  assert.ok(!plainSink.messages.some((m) => m.data.toString().includes('utf8 to an ascii hop')));

  // SMTPUTF8 declared for an all-ASCII message: nothing needs it, so the older hop gets it.
  await rawSend(`MAIL FROM:<${ALICE}> SMTPUTF8`, ['RCPT TO:<ascii@plain.test>'], 'declared but ascii');
  await waitFor('ASCII delivery', () => plainSink.messages.find((m) => m.data.toString().includes('declared but ascii')));
});

test('REQUIRETLS: relayed over verified TLS to a hop offering it; refused (5.7.30) to one that does not', async () => {
  await rawSend(`MAIL FROM:<${ALICE}> REQUIRETLS`, ['RCPT TO:<sec@requiretls.test>'], 'must stay encrypted', { starttls: true });
  const got = await waitFor('REQUIRETLS delivery', () => requireTlsSink.messages.find((m) => m.data.toString().includes('must stay encrypted')));
  assert.equal(got.tls, true);
  assert.match(got.mail, / REQUIRETLS/);

  await rawSend(`MAIL FROM:<${ALICE}> REQUIRETLS RET=FULL`, ['RCPT TO:<sec@tlsonly.test>'], 'no requiretls there', { starttls: true, body: 'CONFIDENTIAL' });
  const [text] = await waitFor('REQUIRETLS bounce', async () => {
    const r = await reportsAbout(ALICE, 'no requiretls there');
    return r.length > 0 && r;
  });
  const report = await parseReport(text!);
  assert.equal(report.recipients[0]!.get('status'), '5.7.30');
  // RFC 8689 §5: the content of a REQUIRETLS message is not returned, whatever RET said.
  assert.equal(report.returned.type, 'text/rfc822-headers');
  assert.doesNotMatch(text!, /CONFIDENTIAL/);
  assert.equal(tlsOnlySink.messages.length, 0);
});

test('connection reuse: several queued messages to one next hop share one SMTP connection', async () => {
  const n = 5;
  for (let i = 0; i < n; i++) await rawSend(`MAIL FROM:<${ALICE}>`, [`RCPT TO:<r${i}@reuse.test>`], `reuse ${i}`);
  await waitFor('all messages at the sink', () => reuseSink.messages.length === n);
  assert.equal(reuseSink.connections, 1);
  assert.ok(reuseSink.messages.every((m) => m.connection === 1));
});

test('connection reuse is bounded: a connection carries at most maxMessagesPerConnection messages', async () => {
  const sink = await SmtpSink.start({});
  const pool = new HopConnectionPool({ maxMessagesPerConnection: 2, idleMs: 60_000 });
  try {
    const hop = { host: '127.0.0.1', port: sink.port, secure: false, requireTls: false };
    const options = { name: 'mx.example.test', timeoutMs: 5000, verifyTls: false };
    for (let i = 0; i < 5; i++) {
      await pool.withSession(hop, options, (s) => {
        const bytes = Buffer.from(`Subject: bounded ${i}\r\n\r\nx\r\n`);
        return s.send({ from: ALICE, to: [`x${i}@bounded.test`] }, { size: bytes.length, stream: () => Readable.from([bytes]) });
      });
    }
    assert.equal(sink.messages.length, 5);
    assert.equal(sink.connections, 3);
    assert.deepEqual(sink.messages.map((m) => m.connection), [1, 1, 2, 2, 3]);
  } finally {
    pool.closeIdle();
    await sink.close();
  }
});
