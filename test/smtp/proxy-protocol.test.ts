// SMTP behind a load balancer speaking the PROXY protocol: the client the header names is the one
// EHLO greets, the one authorizedAddresses is checked against, and the one SMTPS sees after a header
// sent before the TLS handshake. A header from an untrusted peer is never believed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, smtpConfig, type SmtpHarness } from './harness.js';
import { RawSmtpClient } from './raw-client.js';
import { testCertificate } from './certificate.js';

const PROXY = { trustedNetworks: ['127.0.0.1'], headerTimeoutMs: 3000 };

describe('SMTP with <proxyRequired>', () => {
  let h: SmtpHarness;
  before(async () => {
    h = await startHarness({ startWorker: false, config: { proxyRequired: true, proxy: PROXY, authorizedAddresses: ['192.0.2.0/24'] } });
  });
  after(() => h.close());

  it('EHLO names the header\'s client, and relaying follows authorizedAddresses for that client, not the balancer', async () => {
    const inside = await RawSmtpClient.connect(h.port, { proxyHeader: 'PROXY TCP4 192.0.2.25 10.0.0.11 40000 25\r\n' });
    assert.equal(inside.greeting.code, 220);
    const ehlo = await inside.client.command('EHLO client.example');
    assert.match(ehlo.lines[0] ?? '', /Hello client\.example \[192\.0\.2\.25\]/);
    assert.equal((await inside.client.command('MAIL FROM:<a@client.example>')).code, 250);
    assert.equal((await inside.client.command('RCPT TO:<someone@remote.example>')).code, 250);
    inside.client.close();

    const outside = await RawSmtpClient.connect(h.port, { proxyHeader: 'PROXY TCP6 2001:db8::25 2001:db8::1 40001 25\r\n' });
    const ehlo6 = await outside.client.command('EHLO other.example');
    assert.match(ehlo6.lines[0] ?? '', /\[2001:db8::25\]/);
    assert.equal((await outside.client.command('MAIL FROM:<a@other.example>')).code, 250);
    const rcpt = await outside.client.command('RCPT TO:<someone@remote.example>');
    assert.equal(rcpt.code, 530, rcpt.text);
    outside.client.close();
  });

  it('the pipelined EHLO sent in the same segment as the header is answered after the greeting', async () => {
    const { client, greeting } = await RawSmtpClient.connect(h.port, { proxyHeader: 'PROXY TCP4 192.0.2.26 10.0.0.11 40002 25\r\nEHLO fast.example\r\n' });
    assert.equal(greeting.code, 220);
    const ehlo = await client.read();
    assert.match(ehlo.lines[0] ?? '', /Hello fast\.example \[192\.0\.2\.26\]/);
    client.close();
  });
});

describe('SMTP with <proxyRequired> from an untrusted peer', () => {
  it('is closed without a greeting, header or not', async () => {
    const h = await startHarness({ startWorker: false, config: { proxyRequired: true, proxy: { trustedNetworks: ['10.0.0.0/8'], headerTimeoutMs: 3000 } } });
    try {
      await assert.rejects(RawSmtpClient.connect(h.port, { proxyHeader: 'PROXY TCP4 192.0.2.25 10.0.0.11 40000 25\r\n' }));
    } finally {
      await h.close();
    }
  });
});

describe('SMTPS (implicit TLS) with <proxyRequired>', () => {
  it('reads the header before the handshake; the TLS session greets the header\'s client', async () => {
    const cert = await testCertificate();
    const config = await smtpConfig({ proxyRequired: true, proxy: PROXY, tls: { socketTLS: true, startTLS: false, selfSigned: false, key: cert.key, cert: cert.cert } });
    const h = await startHarness({ startWorker: false, config });
    try {
      const sig = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
      const header = Buffer.concat([sig, Buffer.from([0x21, 0x11, 0, 12, 203, 0, 113, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xd1])]);
      const { client, greeting } = await RawSmtpClient.connect(h.port, { tls: true, proxyHeader: header });
      assert.equal(greeting.code, 220);
      const ehlo = await client.command('EHLO tls.example');
      assert.match(ehlo.lines[0] ?? '', /\[203\.0\.113\.7\]/);
      client.close();
    } finally {
      await h.close();
    }
  });
});
