// Concurrency limits advertised in the session are enforced per user: a request still sending its
// body holds its slot, so the next one over the limit gets the RFC 8620 limit problem.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ClientRequest } from 'node:http';
import { ConcurrencyGate } from '../../src/jmap/http/concurrency.js';
import { accountIdOf, post, startHarness, USING, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ config: { maxConcurrentRequests: 1, maxConcurrentUpload: 1 } });
});
after(() => h.close());

test('ConcurrencyGate counts per key and releases once', () => {
  const gate = new ConcurrencyGate(2);
  const a = gate.tryEnter('u')!;
  const b = gate.tryEnter('u')!;
  assert.equal(gate.tryEnter('u'), undefined);
  assert.ok(gate.tryEnter('v'));
  a();
  a();
  assert.ok(gate.tryEnter('u'));
  assert.equal(gate.tryEnter('u'), undefined);
  b();
});

/**
 * Starts a POST whose body never finishes until `end()` is called; `sent` resolves once its headers
 * and first chunk are handed to the kernel.
 */
function hold(path: string, auth: string): { req: ClientRequest; sent: Promise<void>; done: Promise<number>; end: () => void } {
  const url = new URL(path, h.url);
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Authorization: auth, 'Transfer-Encoding': 'chunked', ...(path.startsWith('/jmap') ? { 'Content-Type': 'application/json' } : {}) } });
  const done = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  const sent = new Promise<void>((resolve, reject) => {
    req.write(path.startsWith('/jmap') ? `{"using":${JSON.stringify(USING)},` : 'partial', (err) => (err ? reject(err) : resolve()));
  });
  return { req, sent, done, end: () => req.end(path.startsWith('/jmap') ? '"methodCalls":[]}' : '') };
}

/**
 * Holds one request open and probes with another until the probe is refused. The probe starts once
 * the held request's bytes are on their way, but two connections may still be read by the server in
 * either order (a loaded machine): then the held one is refused or the probe passes, both are
 * finished and the pair is tried again.
 */
async function holdAndProbe<T extends { status: number }>(path: string, auth: string, probe: () => Promise<T>): Promise<{ held: ReturnType<typeof hold>; refused: T }> {
  for (let i = 1; i <= 20; i++) {
    const held = hold(path, auth);
    await held.sent;
    const r = await probe();
    if (r.status !== 200 && r.status !== 201) return { held, refused: r };
    held.end();
    await held.done;
  }
  throw new Error('the held request never occupied its slot');
}

test('maxConcurrentRequests: a second API request while one is in flight gets the limit problem', async () => {
  const auth = h.basic('alice@example.com');
  await post(h, { using: USING, methodCalls: [] }); // account created
  const { held: first, refused: second } = await holdAndProbe('/jmap', auth, () => post(h, { using: USING, methodCalls: [] }, auth));
  assert.equal(second.status, 400);
  assert.equal(second.body.limit, 'maxConcurrentRequests');
  const other = await post(h, { using: USING, methodCalls: [] }, h.basic('bob@example.com'));
  assert.equal(other.status, 200, 'another user is not affected');
  first.end();
  assert.equal(await first.done, 200);
  assert.equal((await post(h, { using: USING, methodCalls: [] }, auth)).status, 200, 'the slot is free again');
});

test('maxConcurrentUpload: a second upload while one is in flight gets the limit problem', async () => {
  const auth = h.basic('alice@example.com');
  const upload = `/upload/${await accountIdOf(h)}`;
  const { held: first, refused: second } = await holdAndProbe(upload, auth, async () => {
    const res = await fetch(`${h.url}${upload}`, { method: 'POST', headers: { Authorization: auth }, body: 'x' });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  });
  assert.equal(second.status, 400);
  assert.equal(second.body.limit, 'maxConcurrentUpload');
  first.end();
  assert.equal(await first.done, 201);
});
