// Push: a message appended through the store reaches EventSource (the `eventsource` package) and
// WebSocket (RFC 8887) clients as a StateChange; WebSocket also carries requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { accountIdOf, message, startHarness, USING, type Harness } from './harness.js';
import { withDeadline } from '../support/wait.js';
import { connectEventSource } from '../support/eventsource.js';

const ALICE = 'alice@example.com';
let h: Harness;
/** Alice's account id, as her session names it. */
let ALICE_ID: string;
let inbox: string;

before(async () => {
  h = await startHarness();
  ALICE_ID = await accountIdOf(h);
  await h.store.ensureAccount(ALICE);
  await h.store.ensureAccount('bob@example.com');
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
});
after(() => h.close());


test('EventSource receives a state event when mail arrives, and closes after it with closeafter=state', async () => {
  const es = await connectEventSource(`${h.url}/eventSource?types=Email,Mailbox&closeafter=state&ping=0`, h.basic(ALICE));
  try {
    const got = new Promise<Record<string, any>>((resolve) => es.addEventListener('state', (ev) => resolve(JSON.parse(ev.data))));
    const before = await h.store.getStates(ALICE);
    await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'pushed' }) }, { delivery: true });
    const change = await withDeadline(got, 5000, 'state event');
    assert.equal(change['@type'], 'StateChange');
    const states = change.changed[ALICE_ID];
    assert.ok(states.Email && states.Email !== before.Email);
    assert.ok(states.Mailbox);
    assert.equal(states.Thread, undefined, 'only the requested types are pushed');
  } finally {
    es.close();
  }
});

test('another user\'s EventSource sees nothing of alice\'s mail', async () => {
  const auth = h.basic('bob@example.com');
  const bobId = await accountIdOf(h, 'bob@example.com');
  const es = new EventSource(`${h.url}/eventSource?types=*&closeafter=no&ping=0`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: auth } }),
  });
  const events: Array<{ changed: Record<string, unknown> }> = [];
  let seenBobsOwn: () => void = () => undefined;
  const bobsOwn = new Promise<void>((resolve) => (seenBobsOwn = resolve));
  es.addEventListener('state', (ev) => {
    const change = JSON.parse(ev.data) as { changed: Record<string, unknown> };
    events.push(change);
    if (bobId in change.changed) seenBobsOwn();
  });
  await withDeadline(new Promise<void>((resolve) => (es.onopen = () => resolve())), 5000, 'open');
  const bobInbox = (await h.store.findMailboxByRole('bob@example.com', 'inbox'))!.id;
  try {
    await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'private' }) }, { delivery: true });
    // Bob's own mail, appended after alice's, is the barrier: the bus delivers in order, so a leak of
    // alice's change would reach bob's stream before (or with) the event for his own mail.
    await h.store.append('bob@example.com', { mailboxIds: [bobInbox], bytes: message({ subject: 'for bob' }) }, { delivery: true });
    await withDeadline(bobsOwn, 5000, "bob's own state event");
  } finally {
    es.close();
  }
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => !(ALICE_ID in e.changed)), JSON.stringify(events));
});

test('WebSocket: requests get responses with requestId, push enable delivers StateChange', async () => {
  const wsUrl = `${h.url.replace('http', 'ws')}/jmap/ws`;
  const ws = new WebSocket(wsUrl, 'jmap', { headers: { Authorization: h.basic(ALICE) } });
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<(m: Record<string, any>) => boolean> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    messages.push(m);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!(m)) waiters.splice(i, 1);
  });
  const next = (pred: (m: Record<string, any>) => boolean, what: string): Promise<Record<string, any>> =>
    withDeadline(new Promise((resolve) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      waiters.push((m) => (pred(m) ? (resolve(m), true) : false));
    }), 5000, what);
  await withDeadline(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), 5000, 'ws open');
  try {
    assert.equal(ws.protocol, 'jmap');
    ws.send(JSON.stringify({ '@type': 'Request', id: 'r1', using: USING, methodCalls: [['Mailbox/get', { accountId: ALICE_ID, ids: [inbox], properties: ['name'] }, '0']] }));
    const resp = await next((m) => m.requestId === 'r1', 'response');
    assert.equal(resp['@type'], 'Response');
    assert.equal(resp.methodResponses[0][1].list[0].name, 'INBOX');

    ws.send('not json');
    const err = await next((m) => m['@type'] === 'RequestError', 'request error');
    assert.equal(err.type, 'urn:ietf:params:jmap:error:notJSON');

    ws.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: ['Email'] }));
    // Messages are handled in order, so once this answer is back, push is enabled.
    ws.send(JSON.stringify({ '@type': 'Request', id: 'r2', using: USING, methodCalls: [['Core/echo', {}, '0']] }));
    await next((m) => m.requestId === 'r2', 'echo after push enable');
    await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'ws push' }) }, { delivery: true });
    const change = await next((m) => m['@type'] === 'StateChange', 'state change');
    assert.ok(change.changed[ALICE_ID].Email);
    assert.equal(change.changed[ALICE_ID].Mailbox, undefined);
    assert.equal(typeof change.pushState, 'string');
  } finally {
    ws.close();
  }
});

test('WebSocket upgrade without credentials is refused with 401', async () => {
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/jmap/ws`, 'jmap');
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
  assert.equal(status, 401);
});

test('a revoked session loses its WebSocket and EventSource at once', async () => {
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: h.basic(ALICE) } });
  await withDeadline(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), 5000, 'ws open');
  const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const sse = await fetch(`${h.url}/eventSource?types=*&closeafter=no&ping=0`, { headers: { Authorization: h.basic(ALICE) } });
  assert.equal(sse.status, 200);
  const reader = sse.body!.getReader();
  const sseEnded = (async () => {
    for (;;) if ((await reader.read()).done) return true;
  })();
  await h.bus.publish({ type: 'session-revoked', user: 'bob@example.com', reason: 'someone else' });
  // A round trip on alice's socket after the revocation was published: the server handles the bus
  // event before this request, so a wrong close would come first.
  const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send(JSON.stringify({ '@type': 'Request', id: 'after-bob', using: USING, methodCalls: [['Core/echo', {}, '0']] }));
  assert.match(await withDeadline(echoed, 5000, 'echo after bob\'s revocation'), /after-bob/);
  assert.equal(ws.readyState, WebSocket.OPEN, 'another user\'s revocation leaves alice connected');
  await h.bus.publish({ type: 'session-revoked', user: ALICE, reason: 'password changed' });
  assert.equal(await withDeadline(wsClosed, 5000, 'ws close'), 1008);
  assert.equal(await withDeadline(sseEnded, 5000, 'event stream end'), true);
});
