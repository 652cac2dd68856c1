// JMAP behind a TCP load balancer speaking the PROXY protocol (jmap.proxyRequired): the HTTP request
// pipelined after the header is served, and the login it carries reaches the auth core (the audit
// log line, the throttle) as the header's client. A client skipping the balancer gets no answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { startHarness } from './harness.js';
import { captureLogger } from '../support/capture-logger.js';


/** Sends `bytes` on one connection and returns everything answered until the server closes. */
async function exchange(url: string, bytes: string): Promise<string> {
  const { port } = new URL(url);
  const s = net.connect(Number(port), '127.0.0.1');
  await once(s, 'connect', { signal: AbortSignal.timeout(5000) });
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => undefined);
  s.write(bytes);
  await once(s, 'close', { signal: AbortSignal.timeout(5000) });
  return Buffer.concat(chunks).toString('latin1');
}

describe('JMAP with jmap.proxyRequired', () => {
  it('serves the request pipelined after the header, and audits its login as the header\'s client', async () => {
    const { logger, lines } = captureLogger('info');
    const h = await startHarness({ logger, users: { 'alice@example.test': 'alice-pw' }, config: { proxyRequired: true, proxy: { trustedNetworks: ['127.0.0.1'], headerTimeoutMs: 3000 } } });
    try {
      const request = `GET /jmap/session HTTP/1.1\r\nHost: jmap.example.test\r\nAuthorization: ${h.basic('alice@example.test', 'wrong')}\r\nConnection: close\r\n\r\n`;
      const answer = await exchange(h.url, `PROXY TCP4 192.0.2.99 10.0.0.11 41000 443\r\n${request}`);
      assert.match(answer, /^HTTP\/1\.1 401 /);
      const audit = lines.map((l) => JSON.parse(l) as { user?: string; peer?: string }).filter((l) => l.user === 'alice@example.test');
      assert.ok(audit.length > 0, lines.join(''));
      assert.ok(audit.every((l) => l.peer === '192.0.2.99'), JSON.stringify(audit));
      const straight = await exchange(h.url, request);
      assert.equal(straight, '');
    } finally {
      await h.close();
    }
  });
});
