// Real clients for the end-to-end tests: imapflow sessions whose untagged updates are queued for
// assertions, nodemailer submission, and JMAP push over EventSource and WebSocket (RFC 8887).
import net from 'node:net';
import tls from 'node:tls';
import { EventSource } from 'eventsource';
import { ImapFlow, type ExistsEvent, type ExpungeEvent, type FlagsEvent } from 'imapflow';
import nodemailer from 'nodemailer';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';
import { Inbox, USING, withTimeout } from './harness.js';

export type ImapAuth = { user: string; pass: string } | { user: string; accessToken: string };

export type ImapUpdate =
  | { kind: 'exists'; data: ExistsEvent }
  | { kind: 'expunge'; data: ExpungeEvent }
  | { kind: 'flags'; data: FlagsEvent };

export interface WatchedImap {
  client: ImapFlow;
  updates: Inbox<ImapUpdate>;
  /** Settles when the connection closes (server BYE, revocation, shutdown). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** An IMAP session over STARTTLS with the server's self-signed certificate; no auto-IDLE. */
export async function imapConnect(port: number, auth: ImapAuth, options: { qresync?: boolean } = {}): Promise<ImapFlow> {
  const client = new ImapFlow({
    ...options,
    host: '127.0.0.1',
    port,
    secure: false,
    // Refuse to fall back to clear text: requireSSL servers only take credentials after STARTTLS.
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth,
    logger: false,
    disableAutoIdle: true,
  });
  // An 'error' event without a listener would crash the test process on a server-side close.
  client.on('error', () => undefined);
  try {
    await withTimeout(client.connect(), 10_000, 'IMAP connect + login');
  } catch (err) {
    throw describeImapError(err, `IMAP login as ${auth.user}`);
  }
  return client;
}

/** imapflow's errors say "Command failed"; the server's own words are in extra members. */
export function describeImapError(err: unknown, what: string): Error {
  if (!(err instanceof Error)) return new Error(`${what}: ${String(err)}`);
  const extra = err as Error & { responseText?: string; serverResponseCode?: string; responseStatus?: string };
  const detail = [extra.responseStatus, extra.serverResponseCode && `[${extra.serverResponseCode}]`, extra.responseText].filter(Boolean).join(' ');
  return new Error(`${what}: ${err.message}${detail ? ` (server: ${detail})` : ''}`, { cause: err });
}

/**
 * Opens `path`, starts IDLE and queues every EXISTS, EXPUNGE and FETCH FLAGS the server sends.
 * Resolves once the server has accepted IDLE (the continuation arrived), so what happens next is
 * seen as an unsolicited update during IDLE.
 */
export async function watchMailbox(port: number, auth: ImapAuth, path: string): Promise<WatchedImap> {
  const client = await imapConnect(port, auth);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const updates = new Inbox<ImapUpdate>();
  client.on('exists', (data: ExistsEvent) => updates.push({ kind: 'exists', data }));
  client.on('expunge', (data: ExpungeEvent) => updates.push({ kind: 'expunge', data }));
  client.on('flags', (data: FlagsEvent) => updates.push({ kind: 'flags', data }));
  await client.mailboxOpen(path);
  const idling = client.idle().catch(() => undefined);
  // imapflow emits no event when IDLE is accepted; its `idling` flag is the state to wait for.
  await waitFor('IMAP IDLE to start', () => client.idling, 5000);
  return {
    client,
    updates,
    closed,
    async close() {
      await client.logout().catch(() => client.close());
      await idling;
    },
  };
}

export interface Submission {
  port: number;
  /** Absent for MX delivery (no AUTH, as mail from the Internet arrives). */
  auth?: { user: string; pass: string } | { type: 'OAuth2'; user: string; accessToken: string };
  /** Implicit TLS (SMTPS, 465) rather than STARTTLS. */
  implicitTls?: boolean;
}

/** Sends one message over TLS (STARTTLS required, or implicit TLS) and returns nodemailer's info. */
export async function submit(
  s: Submission,
  mail: { from: string; to: string; subject: string; text: string; messageId: string },
): Promise<{ accepted: unknown[]; rejected: unknown[]; response: string }> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: s.port,
    secure: s.implicitTls ?? false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    ...(s.auth ? { auth: s.auth } : {}),
  });
  try {
    return await withTimeout(transport.sendMail(mail), 15_000, 'SMTP submission');
  } finally {
    transport.close();
  }
}

export type StateChange = { '@type': string; changed: Record<string, Record<string, string>>; pushState?: string };

/** A JMAP EventSource subscription for every type; `changes` queues each StateChange. */
export async function openEventSource(baseUrl: string, authorization: string): Promise<{ changes: Inbox<StateChange>; ended: Promise<void>; close(): void }> {
  const es = new EventSource(`${baseUrl}/eventSource?types=*&closeafter=no&ping=0`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: authorization } }),
  });
  const changes = new Inbox<StateChange>();
  es.addEventListener('state', (ev) => changes.push(JSON.parse(ev.data) as StateChange));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        es.onopen = () => resolve();
        es.onerror = (e) => reject(new Error(`EventSource error: ${String(e.message)} (code ${String(e.code)})`));
      }),
      5000,
      'EventSource to open',
    );
  } catch (err) {
    es.close();
    throw err;
  }
  // After the open, an error means the server ended the stream (the client would reconnect).
  const ended = new Promise<void>((resolve) => {
    es.onerror = () => {
      es.close();
      resolve();
    };
  });
  return { changes, ended, close: () => es.close() };
}

/** A JMAP WebSocket (subprotocol "jmap") with push enabled for every type. */
export async function openWebSocketPush(baseUrl: string, authorization: string): Promise<{ changes: Inbox<StateChange>; ended: Promise<number>; close(): void }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/jmap/ws`, 'jmap', { headers: { Authorization: authorization } });
  const changes = new Inbox<StateChange>();
  const responses = new Inbox<Record<string, unknown>>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if (m['@type'] === 'StateChange') changes.push(m as unknown as StateChange);
    else responses.push(m);
  });
  ws.on('error', () => undefined);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    }),
    5000,
    'WebSocket to open',
  );
  ws.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: null }));
  // The server handles a socket's messages in order: once this answer is back, push is on.
  ws.send(JSON.stringify({ '@type': 'Request', id: 'push-on', using: USING, methodCalls: [['Core/echo', {}, '0']] }));
  await responses.next((m) => m['requestId'] === 'push-on', 5000, 'WebSocket echo after push enable');
  const ended = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { changes, ended, close: () => ws.close() };
}

/** True when a StateChange reports a new Email state for `accountId` (different from `previous`). */
export function emailChanged(change: StateChange, accountId: string, previous?: string): boolean {
  const email = change.changed[accountId]?.['Email'];
  return email !== undefined && email !== previous;
}

/**
 * A raw SMTP submission session, upgraded with STARTTLS and authenticated with AUTH XOAUTH2, left
 * open mid-session so a test can watch what the server does to it (e.g. a 421 on revocation).
 */
export async function smtpTokenSession(port: number, user: string, token: string): Promise<{ lines: Inbox<string>; closed: Promise<void>; close(): void }> {
  const lines = new Inbox<string>();
  let buffer = '';
  const onData = (d: Buffer): void => {
    buffer += d.toString('latin1');
    let i: number;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 2);
    }
  };
  const reply = async (code: string, what: string): Promise<string> => lines.next((l) => /^\d{3} /.test(l), 5000, what).then((l) => {
    if (!l.startsWith(code)) throw new Error(`${what}: expected ${code}, got "${l}"`);
    return l;
  });
  const plain = net.connect(port, '127.0.0.1');
  plain.on('error', () => undefined);
  plain.on('data', onData);
  await reply('220', 'SMTP greeting');
  plain.write('EHLO e2e.test\r\n');
  await reply('250', 'EHLO');
  plain.write('STARTTLS\r\n');
  await reply('220', 'STARTTLS');
  plain.off('data', onData);
  const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
  secure.on('error', () => undefined);
  await withTimeout(new Promise<void>((r) => secure.once('secureConnect', () => r())), 5000, 'TLS handshake');
  secure.on('data', onData);
  const closed = new Promise<void>((r) => secure.once('close', () => r()));
  secure.write('EHLO e2e.test\r\n');
  await reply('250', 'EHLO after STARTTLS');
  const xoauth2 = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
  secure.write(`AUTH XOAUTH2 ${xoauth2}\r\n`);
  await reply('235', 'AUTH XOAUTH2');
  secure.write(`MAIL FROM:<${user}>\r\n`);
  await reply('250', 'MAIL FROM');
  lines.clear();
  return { lines, closed, close: () => secure.destroy() };
}
