// JMAP behind a TLS-terminating proxy: under requireSSL, a request on a clear connection counts as
// encrypted only when a trusted proxy — one on this host (loopback), or one listed in
// authentication.strategy.rfc8621.xUser.trustedProxies — says `X-Forwarded-Proto: https`. A client
// sending the header itself from elsewhere gains nothing.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { httpRequestEncrypted } from '../../src/auth/policy.js';
import { CidrList } from '../../src/net/cidr.js';
import { startHarness, type Harness } from './harness.js';

/** A GET of /jmap/session with node:http, the response status and body. */
function getSession(h: Harness, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.url}/jmap/session`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('JMAP Basic under requireSSL behind a TLS-terminating proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: { strategies: ['basic'], auth: { plainAuthEnabled: true, requireSSL: true } } });
  });
  after(() => h.close());

  it('refuses Basic on a clear connection without the proxy header', async () => {
    const res = await getSession(h, { Authorization: h.basic('alice@example.com') });
    assert.equal(res.status, 401);
    assert.match(res.body, /requires TLS/);
  });

  it('takes Basic from a proxy on this host that says X-Forwarded-Proto: https, and builds https URLs', async () => {
    const res = await getSession(h, { Authorization: h.basic('alice@example.com'), 'X-Forwarded-Proto': 'https', Host: 'mail.example.com' });
    assert.equal(res.status, 200, res.body);
    const session = JSON.parse(res.body) as { apiUrl: string; username: string };
    assert.equal(session.username, 'alice@example.com');
    assert.equal(session.apiUrl, 'https://mail.example.com/jmap');
  });

  it('does not count X-Forwarded-Proto: http, nor a list a chain of proxies appended to', async () => {
    for (const proto of ['http', 'https, http', 'https,https']) {
      const res = await getSession(h, { Authorization: h.basic('alice@example.com'), 'X-Forwarded-Proto': proto });
      assert.equal(res.status, 401, proto);
    }
  });
});

describe('which peers may say X-Forwarded-Proto: https', () => {
  const none = new CidrList([]);
  const gateway = new CidrList(['10.1.2.0/24']);
  const https = (peer: string, trusted: CidrList, forwardedProto: string | string[] | undefined = 'https'): boolean =>
    httpRequestEncrypted({ tls: false, peer, forwardedProto }, trusted);

  it('a TLS connection is encrypted whatever the headers', () => {
    assert.equal(httpRequestEncrypted({ tls: true, peer: '203.0.113.9', forwardedProto: 'http' }, none), true);
  });

  it('loopback proxies are trusted without configuration, IPv4-mapped and IPv6 included', () => {
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(https(peer, none), true, peer);
  });

  it('any other peer only when listed as a trusted proxy', () => {
    assert.equal(https('10.1.2.3', none), false);
    assert.equal(https('10.1.2.3', gateway), true);
    assert.equal(https('::ffff:10.1.2.3', gateway), true);
    assert.equal(https('10.1.3.3', gateway), false);
    assert.equal(https('203.0.113.9', gateway), false);
  });

  it('only one https value counts; a repeated header or another scheme does not', () => {
    assert.equal(https('127.0.0.1', none, ' HTTPS '), true);
    assert.equal(https('127.0.0.1', none, ['https', 'https']), false);
    assert.equal(https('127.0.0.1', none, 'wss'), false);
    assert.equal(httpRequestEncrypted({ tls: false, peer: '127.0.0.1', forwardedProto: undefined }, none), false);
  });
});
