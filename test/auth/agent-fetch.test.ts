// The provider HTTP client (src/auth/token/agent-fetch.ts) against a real HTTP server, through
// requestJson as the validator uses it: JSON answers, keep-alive reuse, and the failure cases that
// must read as "provider unavailable" (redirect, oversized or cut-off body, timeout).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { agentFetch } from '../../src/auth/token/agent-fetch.js';
import { requestJson, type HttpOptions } from '../../src/auth/token/http.js';
import { ProviderUnavailableError } from '../../src/auth/token/errors.js';

let server: Server;
let base: string;
const sockets = new Set<Socket>();
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>([
  ['/json', (_req, res) => res.end(JSON.stringify({ active: true }))],
  ['/echo', (req, res, body) => res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], body }))],
  ['/redirect', (_req, res) => res.writeHead(302, { location: '/json' }).end()],
  ['/huge', (_req, res) => res.end('x'.repeat(2 * 1024 * 1024))],
  ['/cut', (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    res.socket?.destroy();
  }],
  ['/slow', () => undefined],
]);

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => routes.get(req.url ?? '')?.(req, res, body));
  });
  server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options: HttpOptions = { fetch: agentFetch, timeoutMs: 2000 };

test('answers JSON for GET and POST, and reuses one kept-alive connection for sequential requests', async () => {
  const before = sockets.size;
  assert.deepEqual(await requestJson('introspection', `${base}/json`, {}, options), { status: 200, body: { active: true } });
  const posted = await requestJson(
    'introspection',
    `${base}/echo`,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=é&x=1' },
    options,
  );
  assert.deepEqual(posted.body, { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'token=é&x=1' });
  await requestJson('introspection', `${base}/json`, {}, options);
  assert.equal(sockets.size - before, 1, 'one connection for three requests');
});

test('a redirect, an oversized body, a cut-off body and a timeout are "provider unavailable"', async () => {
  for (const path of ['/redirect', '/huge', '/cut']) {
    await assert.rejects(requestJson('introspection', `${base}${path}`, {}, options), ProviderUnavailableError, path);
  }
  await assert.rejects(requestJson('introspection', `${base}/slow`, {}, { ...options, timeoutMs: 200 }), ProviderUnavailableError);
  // The pool still serves after the failures.
  assert.equal((await requestJson('introspection', `${base}/json`, {}, options)).status, 200);
});
