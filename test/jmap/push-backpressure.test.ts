// Push back-pressure over real sockets: an EventSource or WebSocket client that connects and then
// never reads is closed by the server once 1 MiB of pushes waits for it, instead of being buffered
// for forever, while a well-behaved client of the same account goes on receiving every event.
//
// State changes are published on the event bus exactly as the store publishes them after a commit,
// in rounds paced on the well-behaved client: each round ends when that client has read the round's
// last event, so only the client that does not read falls behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { accountIdOf, message, startHarness, USING, type Harness } from './harness.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { watchServerSockets, type ServerSocketWatch } from '../support/server-sockets.js';
import { PUSH_BACKLOG_LIMIT } from '../../src/net/index.js';

const ALICE = 'alice@example.com';
/** Alice's JMAP account id as the session names it: the key of StateChange.changed. */
let ALICE_ID: string;
/** State changes published per round. */
const ROUND = 500;
/** More than the kernel's socket buffers and the server's limit together take, by far. */
const MAX_CHANGES = 400_000;

let h: Harness;
let port: number;
let inbox: string;

before(async () => {
  h = await startHarness();
  port = Number(new URL(h.url).port);
  await h.store.ensureAccount(ALICE);
  inbox = (await h.store.findMailboxByRole(ALICE, 'inbox'))!.id;
  ALICE_ID = await accountIdOf(h, ALICE);
});
after(() => h.close());

/** The Email state of the n-th published change: each change carries a state string as the store's do. */
const emailState = (n: number): string => `flood-${n}`;

function publishChange(n: number): Promise<void> {
  return h.bus.publish({
    type: 'state-changed',
    account: ALICE,
    changed: { Email: emailState(n), Mailbox: `m-${n}`, Thread: `t-${n}`, EmailDelivery: `d-${n}` },
  });
}

/**
 * Publishes changes round after round, each round awaited on the well-behaved client (`seen(n)`
 * resolves once it has read change n), until the server has closed `serverSocket`, its side of the
 * client that does not read. Returns how many changes were published.
 */
async function floodUntilClosed(serverSocket: net.Socket, seen: (n: number) => Promise<void>): Promise<number> {
  let n = 0;
  while (!serverSocket.destroyed) {
    if (n >= MAX_CHANGES) throw new Error(`the server still serves the client that does not read after ${n} changes`);
    for (let k = 0; k < ROUND; k++) void publishChange(n++);
    await withDeadline(seen(n - 1), 30_000, `the well-behaved client to read change ${n - 1}`);
  }
  return n;
}

/** The server's side of the connection whose client end is `client`. */
function serverSide(watch: ServerSocketWatch, client: net.Socket): Promise<net.Socket> {
  return waitFor('the server side of the connection', () => watch.sockets.find((s) => s.remotePort === client.localPort));
}

/** Reads `client` (resumed) to its end; resolves with the text received. */
function readToEnd(client: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    client.on('data', (d: Buffer) => chunks.push(d));
    client.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    client.resume();
  });
}

/** A real EventSource client (the `eventsource` package) that records the Email states it reads. */
async function openEventSource(): Promise<{ es: EventSource; seen(n: number): Promise<void>; count(): number }> {
  const auth = h.basic(ALICE);
  const es = new EventSource(`${h.url}/eventSource?types=*&closeafter=no&ping=0`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: auth } }),
  });
  const states: string[] = [];
  const waiters = new Map<string, () => void>();
  es.addEventListener('state', (ev) => {
    const change = JSON.parse(ev.data) as { changed: Record<string, { Email?: string }> };
    const state = change.changed[ALICE_ID]?.Email;
    if (state === undefined) return;
    states.push(state);
    waiters.get(state)?.();
  });
  await withDeadline(new Promise<void>((resolve, reject) => {
    es.onopen = () => resolve();
    es.onerror = (e) => reject(new Error(`eventsource error ${String(e.message)}`));
  }), 5000, 'EventSource open');
  return {
    es,
    count: () => states.length,
    seen: (n) => {
      const state = emailState(n);
      if (states.includes(state)) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.set(state, resolve));
    },
  };
}

test('an EventSource client that never reads is closed once 1 MiB waits for it; another client of the account keeps every event', async () => {
  const watch = watchServerSockets(port);
  const good = await openEventSource();
  const victim = net.connect(port, '127.0.0.1');
  try {
    await withDeadline(new Promise((resolve) => victim.once('connect', resolve)), 5000, 'connect');
    victim.write(`GET /eventSource?types=*&closeafter=no&ping=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: ${h.basic(ALICE)}\r\n\r\n`);
    // The stream is open (and subscribed) once its header arrives; from then on, nothing is read.
    await withDeadline(new Promise<void>((resolve) => {
      let head = '';
      const onData = (d: Buffer): void => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        victim.off('data', onData);
        victim.pause();
        assert.match(head, /^HTTP\/1\.1 200 /);
        resolve();
      };
      victim.on('data', onData);
    }), 5000, 'the event stream header');
    const server = await serverSide(watch, victim);

    const published = await floodUntilClosed(server, good.seen);
    assert.ok(published * 60 > PUSH_BACKLOG_LIMIT, `closed after only ${published} changes`);
    // The well-behaved client read every change, in order, and is still served: real mail reaches it.
    assert.equal(good.count(), published);
    const before = await h.store.getStates(ALICE);
    const delivered = new Promise<void>((resolve) => {
      good.es.addEventListener('state', (ev) => {
        const state = (JSON.parse(ev.data) as { changed: Record<string, { Email?: string }> }).changed[ALICE_ID]?.Email;
        if (state !== undefined && !state.startsWith('flood-') && state !== before.Email) resolve();
      });
    });
    await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'after the flood' }) }, { delivery: true });
    await withDeadline(delivered, 5000, 'the state event for new mail on the well-behaved stream');

    // The closed client, reading at last, finds its stream cut short and ended.
    const received = await withDeadline(readToEnd(victim), 30_000, 'the closed stream to end');
    const events = received.split('event: state\n').length - 1;
    assert.ok(events > 0 && events < published, `the closed client received ${events} of ${published} changes`);
  } finally {
    good.es.close();
    victim.destroy();
    watch.stop();
  }
});

/** A WebSocket (the `ws` package) with push enabled; resolves once the server has enabled it. */
async function openPushSocket(): Promise<WebSocket> {
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: h.basic(ALICE) } });
  await withDeadline(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), 5000, 'WebSocket open');
  ws.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: null }));
  // Messages are handled in order: once this is answered, push is on.
  const echoed = new Promise<void>((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      if ((JSON.parse(String(data)) as { requestId?: string }).requestId !== 'enabled') return;
      ws.off('message', onMessage);
      resolve();
    };
    ws.on('message', onMessage);
  });
  ws.send(JSON.stringify({ '@type': 'Request', id: 'enabled', using: USING, methodCalls: [['Core/echo', {}, '0']] }));
  await withDeadline(echoed, 5000, 'push enabled');
  return ws;
}

test('a WebSocket client that stops reading is closed once 1 MiB waits for it; another socket of the account keeps every push', async () => {
  const watch = watchServerSockets(port);
  const good = await openPushSocket();
  const victim = await openPushSocket();
  try {
    const states: string[] = [];
    const waiters = new Map<string, () => void>();
    good.on('message', (data) => {
      const m = JSON.parse(String(data)) as { '@type'?: string; changed?: Record<string, { Email?: string }> };
      const state = m['@type'] === 'StateChange' ? m.changed?.[ALICE_ID]?.Email : undefined;
      if (state === undefined) return;
      states.push(state);
      waiters.get(state)?.();
    });
    const seen = (n: number): Promise<void> =>
      states.includes(emailState(n)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(emailState(n), resolve));
    // ws.pause() stops reading from the socket: the server's frames pile up on its side.
    const victimSocket = (victim as unknown as { _socket: net.Socket })._socket;
    const server = await serverSide(watch, victimSocket);
    const victimClosed = new Promise<number>((resolve) => victim.once('close', (code) => resolve(code)));
    victim.pause();

    const published = await floodUntilClosed(server, seen);
    assert.ok(published * 60 > PUSH_BACKLOG_LIMIT, `closed after only ${published} changes`);
    assert.equal(states.length, published);
    // The well-behaved socket still carries requests and real pushes.
    const before = await h.store.getStates(ALICE);
    const delivered = new Promise<void>((resolve) => {
      good.on('message', (data) => {
        const m = JSON.parse(String(data)) as { '@type'?: string; changed?: Record<string, { Email?: string }> };
        const state = m.changed?.[ALICE_ID]?.Email;
        if (m['@type'] === 'StateChange' && state !== undefined && !state.startsWith('flood-') && state !== before.Email) resolve();
      });
    });
    await h.store.append(ALICE, { mailboxIds: [inbox], bytes: message({ subject: 'after the ws flood' }) }, { delivery: true });
    await withDeadline(delivered, 5000, 'the push for new mail on the well-behaved socket');

    // The closed client, reading at last, sees its connection dropped without a close frame.
    victim.resume();
    assert.equal(await withDeadline(victimClosed, 30_000, 'the dropped WebSocket to close'), 1006);
  } finally {
    good.close();
    victim.terminate();
    watch.stop();
  }
});
