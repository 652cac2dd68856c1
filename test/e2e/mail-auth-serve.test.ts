// Mail authentication as `tessera serve` wires it: DNS through dnsservice.xml's <servers> (the test's
// DNS stub), DKIM keys made by `tessera dkim generate` in the data directory, an MX listener that
// verifies and a submission listener that signs. (Signatures verified by a second MTA, and the other
// DMARC actions, are in test/smtp/mail-auth.test.ts; this proves the configuration reaches them.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { authenticate } from 'mailauth';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { protocolFactories, storeResource } from '../../src/server/protocols.js';
import { createDnsResolver } from '../../src/delivery/index.js';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { CapturedOutput } from '../server/capture.js';
import { cli } from '../cli/in-process.js';
import { startDnsStub, type DnsStub } from '../support/dns-stub.js';
import { listenerPort } from '../support/tessera-conf.js';
import { waitFor } from '../support/wait.js';
import { readAll } from '../../src/store/byte-sources.js';

const ALICE = 'alice@example.test';
const PASSWORD = 'alice-long-password-1';

function block(name: string, role: 'mx' | 'submission'): string {
  const auth = role === 'mx' ? '<announce>never</announce><plainAuthEnabled>false</plainAuthEnabled>' : '<announce>always</announce><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL>';
  return `<smtpserver enabled="true"><jmxName>${name}</jmxName><bind>127.0.0.1:0</bind><tls socketTLS="false" startTLS="true"/>
    <helloName autodetect="false">mail.example.test</helloName><auth>${auth}<requireAuthForRelay>true</requireAuthForRelay></auth>
    <verifyIdentity>true</verifyIdentity></smtpserver>`;
}

describe('tessera serve: mail authentication configuration', () => {
  let c: TestConf;
  let dns: DnsStub;
  let running: RunningServer;
  const log = new CapturedOutput();

  before(async () => {
    dns = await startDnsStub();
    c = await makeTestConf({ domains: ['example.test'] });
    await writeFile(join(c.confDir, 'smtpserver.xml'), `<smtpservers>${block('mx', 'mx')}${block('submission', 'submission')}</smtpservers>`);
    await writeFile(join(c.confDir, 'dnsservice.xml'), `<dnsservice><servers><server>${dns.server}</server></servers><autodiscover>false</autodiscover></dnsservice>`);
    assert.equal((await cli(['user', 'add', ALICE, '--password', PASSWORD, '--conf', c.confDir])).code, 0);
    const generated = await cli(['dkim', 'generate', 'example.test', '--selector', 'k1', '--algorithm', 'ed25519', '--conf', c.confDir]);
    assert.equal(generated.code, 0, generated.stderr);
    const m = /^(\S+)\. IN TXT \( (.*) \)$/.exec(generated.stdout.trim())!;
    dns.add(m[1]!, { type: 'TXT', value: [...m[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('') });
    dns.add('example.test', { type: 'TXT', value: 'v=spf1 -all' });
    dns.add('_dmarc.example.test', { type: 'TXT', value: 'v=DMARC1; p=reject' });
    dns.add('bank.test', { type: 'TXT', value: 'v=spf1 -all' });
    dns.add('_dmarc.bank.test', { type: 'TXT', value: 'v=DMARC1; p=reject' });
    dns.add('good.test', { type: 'TXT', value: 'v=spf1 ip4:127.0.0.1 -all' });
    // remote.test never answers: its message stays queued (a temporary failure) while the test reads it.
    dns.silence('remote.test');
    // A null MX (RFC 7505) only the stub knows: the outbound worker must ask it to bounce at once.
    dns.add('nullmx.test', { type: 'MX', exchange: '.', preference: 0 });
    running = await runServe({ confDir: c.confDir, factories: protocolFactories, io: { stdout: new CapturedOutput(), logDestination: log, env: {} } });
  });
  after(async () => {
    await running?.stop();
    await dns?.close();
    await c?.dispose();
  });

  const mx = () => nodemailer.createTransport({ host: '127.0.0.1', port: listenerPort(running, 'mx'), secure: false, ignoreTLS: true, name: 'relay.sender.test' });

  it('the MX refuses a spoofed p=reject sender, asking the configured DNS server', async () => {
    await assert.rejects(
      mx().sendMail({ envelope: { from: 'ceo@bank.test', to: [ALICE] }, raw: 'From: ceo@bank.test\r\nTo: alice@example.test\r\nSubject: pay\r\n\r\nx\r\n' }),
      (err: { responseCode?: number }) => err.responseCode === 550,
    );
    assert.ok(dns.queries.includes('_dmarc.bank.test TXT'), `queries: ${dns.queries.join(', ')}`);
  });

  it('the MX adds Authentication-Results under the SMTP helloName as authserv-id', async () => {
    await mx().sendMail({ envelope: { from: 'news@good.test', to: [ALICE] }, raw: 'From: news@good.test\r\nTo: alice@example.test\r\nSubject: letter\r\n\r\nx\r\n' });
    const store = await running.context.use(storeResource);
    const inbox = (await store.findMailboxByRole(ALICE, 'inbox'))!;
    const text = await waitFor('delivered', async () => {
      for (const msg of (await store.snapshot(ALICE, inbox.id)).messages) {
        const bytes = (await store.readMessage(ALICE, msg.emailId))?.toString();
        if (bytes?.includes('Subject: letter')) return bytes;
      }
      return undefined;
    });
    assert.match(text, /^Authentication-Results: mail\.example\.test;[\s\S]*spf=pass/m);
  });

  it('submission signs with the data directory key before queueing', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: listenerPort(running, 'submission'), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: PASSWORD } });
    await t.sendMail({ from: ALICE, to: 'carol@remote.test', subject: 'signed on the way out', text: 'hello' });
    const store = await running.context.use(storeResource);
    const item = await waitFor('queued', async () => (await store.listOutbound()).find((i) => i.recipients.some((r) => r.address === 'carol@remote.test')));
    const bytes = await readAll((await store.openOutbound(item.id))!);
    assert.match(bytes.toString(), /^DKIM-Signature: .*a=ed25519-sha256/m);
    const result = await authenticate(bytes, { ip: '127.0.0.1', helo: 'mail.example.test', sender: ALICE, resolver: createDnsResolver({ servers: [dns.server], useSystem: false }), disableBimi: true });
    assert.equal(result.dkim.results[0]?.status.result, 'pass');
  });

  it('outbound routing asks the same dnsservice.xml server: a null MX there bounces at once', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: listenerPort(running, 'submission'), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: PASSWORD } });
    await t.sendMail({ from: ALICE, to: 'dave@nullmx.test', subject: 'to a null MX', text: 'hello' });
    const store = await running.context.use(storeResource);
    const inbox = (await store.findMailboxByRole(ALICE, 'inbox'))!;
    const bounce = await waitFor('bounce', async () => {
      for (const msg of (await store.snapshot(ALICE, inbox.id)).messages) {
        const bytes = (await store.readMessage(ALICE, msg.emailId))?.toString();
        if (bytes?.includes('Action: failed') && bytes.includes('dave@nullmx.test')) return bytes;
      }
      return undefined;
    });
    assert.match(bounce, /Status: 5\.1\.10/);
    assert.ok(dns.queries.includes('nullmx.test MX'), `queries: ${dns.queries.join(', ')}`);
  });
});
