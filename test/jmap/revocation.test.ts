// JMAP and session control: token requests of a revoked session get 401, its push channels
// (EventSource, WebSocket) close, token expiry closes them under tokenExpiry=disconnect, and the
// back-channel logout endpoint is mounted without authentication.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { BACKCHANNEL_LOGOUT_PATH } from '../../src/sessions/index.js';
import { startHarness, USING, type Harness } from './harness.js';
import { withDeadline } from '../support/wait.js';

const ALICE = 'alice@example.com';
let idp: TestIdp;
let h: Harness;


async function apiStatus(harness: Harness, token: string): Promise<{ status: number; challenge: string | null }> {
  const res = await fetch(`${harness.url}/jmap`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ using: USING, methodCalls: [['Core/echo', {}, '0']] }),
  });
  await res.arrayBuffer();
  return { status: res.status, challenge: res.headers.get('www-authenticate') };
}

async function openStream(harness: Harness, token: string): Promise<{ ended: Promise<boolean> }> {
  const res = await fetch(`${harness.url}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const ended = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return true;
    } catch {
      return true;
    }
  })();
  return { ended };
}

async function openWebSocket(harness: Harness, token: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`${harness.url.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: `Bearer ${token}` } });
  await withDeadline(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), 5000, 'ws open');
  return { ws, closed: new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))) };
}

function tokenHarness(tokenExpiry: { action: 'ignore' } | { action: 'disconnect'; graceSeconds: number } = { action: 'ignore' }): Promise<Harness> {
  return startHarness({
    users: { [ALICE]: 'alice-pw' },
    config: { strategies: ['jwt'], auth: { plainAuthEnabled: false, requireSSL: false, oidc: idp.oidcConfig() }, tokenExpiry },
  });
}

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  h = await tokenHarness();
  await h.store.ensureAccount(ALICE);
});
after(async () => {
  await h?.close();
  await idp?.close();
});

test('a revoked OP session: push channels close, and requests, streams and WebSockets with its token get 401', async () => {
  const issued = await idp.issueToken(ALICE);
  const other = await idp.accessToken(ALICE);
  assert.equal((await apiStatus(h, issued.accessToken)).status, 200);
  const stream = await openStream(h, issued.accessToken);
  const { closed } = await openWebSocket(h, issued.accessToken);
  const untouched = await openWebSocket(h, other);

  await h.sessions.revoke({ sid: issued.sid, issuer: idp.issuer, reason: 'Session ended by the identity provider' });
  assert.equal(await withDeadline(closed, 2000, 'ws close'), 1008);
  assert.equal(await withDeadline(stream.ended, 2000, 'stream end'), true);

  const refused = await apiStatus(h, issued.accessToken);
  assert.equal(refused.status, 401);
  assert.match(refused.challenge ?? '', /Bearer/);
  const sse = await fetch(`${h.url}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: `Bearer ${issued.accessToken}` } });
  await sse.arrayBuffer();
  assert.equal(sse.status, 401);
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: `Bearer ${issued.accessToken}` } });
  const upgrade = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
  assert.equal(upgrade, 401);

  assert.equal(untouched.ws.readyState, WebSocket.OPEN, 'another OP session keeps its WebSocket');
  assert.equal((await apiStatus(h, other)).status, 200);
  untouched.ws.close();
  await untouched.closed;
});

test('POST /oidc/backchannel-logout needs no credentials and answers what session control says; other methods get 405', async () => {
  const bad = await fetch(`${h.url}${BACKCHANNEL_LOGOUT_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'logout_token=not-a-token',
  });
  await bad.arrayBuffer();
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('cache-control'), 'no-store');
  const huge = await fetch(`${h.url}${BACKCHANNEL_LOGOUT_PATH}`, { method: 'POST', body: 'x'.repeat(200_000) });
  await huge.arrayBuffer();
  assert.equal(huge.status, 400);
  const get = await fetch(`${h.url}${BACKCHANNEL_LOGOUT_PATH}`);
  await get.arrayBuffer();
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
});

test('tokenExpiry=disconnect closes an EventSource stream when its token expires', async () => {
  const expiring = await tokenHarness({ action: 'disconnect', graceSeconds: 0 });
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await idp.signJwt({ email: ALICE, scope: idp.scope, sub: 'alice-sub', exp: now + 2 });
    const stream = await openStream(expiring, token);
    assert.equal(await withDeadline(stream.ended, 6000, 'stream end at token expiry'), true);
    assert.equal(expiring.sessions.registry.size, 0, 'the channel is no longer registered');
  } finally {
    await expiring.close();
  }
});
