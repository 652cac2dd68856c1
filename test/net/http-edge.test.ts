// JMAP's HTTP server behind the network edge: implicit TLS is the edge's, and the request still sees
// a secure socket (https URLs in the session, passwords allowed under requireSSL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import { startHarness } from '../jmap/harness.js';
import { testCertificate } from '../smtp/certificate.js';

test('JMAP over implicit TLS: the edge does the handshake, the session says https', async () => {
  const { key, cert } = await testCertificate();
  const h = await startHarness({
    config: { auth: { plainAuthEnabled: true, requireSSL: true }, tls: { socketTLS: true, startTLS: false, selfSigned: false, key, cert } },
  });
  try {
    const port = h.server.port()!;
    assert.match(h.server.describe()[0] ?? '', new RegExp(`^https://127\\.0\\.0\\.1:${port}/jmap`));
    const req = https.get({
      host: '127.0.0.1',
      port,
      path: '/jmap/session',
      rejectUnauthorized: false,
      headers: { Authorization: h.basic('alice@example.com') },
      signal: AbortSignal.timeout(5000),
    });
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    assert.equal(res.statusCode, 200);
    const session = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apiUrl: string };
    assert.equal(session.apiUrl, `https://127.0.0.1:${port}/jmap`);
  } finally {
    await h.close();
  }
});
