// Logs and metrics of a running Tessera as real clients use it: every line of one IMAP, SMTP or POP3
// session (the auth core's audit line included) carries the same `session` id, a JMAP request's audit
// line carries the id the response names in X-Request-Id, and no password is ever written. /metrics
// on the control listener shows store latencies, event-bus lag and app-password logins moving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { sampleTotal, scrapeMetrics, type Sample } from '../support/prom-text.js';
import { poplib } from '../pop3/clients.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, submit } from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-observability-secret';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let control: string;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  conf = await writeE2eConf(idp);
  await appendFile(join(conf.confDir, 'tessera.properties'), 'control.http.enabled=true\ncontrol.http.bind=127.0.0.1:0\n');
  srv = await startTessera(conf);
  await srv.running.context.users.add(ALICE, ALICE_PW);
  control = `http://127.0.0.1:${listenerPort(srv.running, 'control-http')}`;
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

type Line = Record<string, unknown>;

function logLines(): Line[] {
  return srv.log.text().trim().split('\n').map((l) => JSON.parse(l) as Line);
}

/** The session id of the latest successful login audit line of `protocol`. */
function lastLoginSession(protocol: string): string {
  const audit = logLines().filter((l) => l['event'] === 'auth' && l['protocol'] === protocol && l['result'] === 'success').at(-1);
  assert.ok(audit, `an audit line for a ${protocol} login`);
  const session = audit['session'];
  assert.equal(typeof session, 'string', JSON.stringify(audit));
  return session as string;
}

function linesOf(session: string): Line[] {
  return logLines().filter((l) => l['session'] === session);
}

const scrape = (): Promise<Sample[]> => scrapeMetrics(control);
const total = sampleTotal;

function message(subject: string): { from: string; to: string; subject: string; text: string; messageId: string } {
  return { from: ALICE, to: ALICE, subject, text: 'observed', messageId: `<${randomUUID()}@${DOMAIN}>` };
}

describe('session ids in the logs', () => {
  it('IMAP: the audit line and the session’s own lines share one id, unlike another session', async () => {
    const first = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    const a = lastLoginSession('imap');
    await first.logout();
    const second = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    const b = lastLoginSession('imap');
    await second.logout();
    assert.notEqual(a, b);
    const lines = linesOf(a);
    assert.ok(lines.length >= 2, JSON.stringify(lines));
    assert.deepEqual(lines.map((l) => l['msg']), ['login succeeded', 'imap authenticated']);
    assert.ok(lines.every((l) => l['peer'] === '127.0.0.1'));
  });

  it('SMTP: AUTH and the accepted message are logged under the session’s id', async () => {
    const sent = await submit({ port: srv.endpoints.submission, auth: { user: ALICE, pass: ALICE_PW } }, message('session id'));
    assert.deepEqual(sent.rejected, []);
    const msgs = linesOf(lastLoginSession('smtp')).map((l) => l['msg']);
    assert.deepEqual(msgs.filter((m) => m !== 'client disconnected'), ['login succeeded', 'authenticated', 'message accepted']);
  });

  it('POP3: login and maildrop lines share the session’s id', async () => {
    await poplib({ port: srv.endpoints.pop3s, tls: 'implicit', user: ALICE, password: ALICE_PW, ops: [['stat']] });
    const msgs = linesOf(lastLoginSession('pop3')).map((l) => l['msg']);
    assert.deepEqual(msgs.slice(0, 2), ['login succeeded', 'authenticated']);
  });

  it('JMAP: a request’s audit line carries the id the response names', async () => {
    const res = await fetch(`${srv.endpoints.jmap}/jmap/session`, { headers: { Authorization: `Basic ${Buffer.from(`${ALICE}:${ALICE_PW}`).toString('base64')}` } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const id = res.headers.get('x-request-id');
    assert.match(id ?? '', /^[0-9a-f]{12}$/);
    assert.equal(lastLoginSession('jmap'), id);
  });

  it('never writes a password', () => {
    assert.ok(!srv.log.text().includes(ALICE_PW));
  });
});

describe('metrics added for operations', () => {
  it('store latencies, event-bus lag and app-password logins move with real clients', async () => {
    const before = await scrape();
    const { secret } = await srv.running.context.appPasswords.create(ALICE, { name: 'metrics', scopes: ['imap'] });
    const client = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: secret });
    await client.append('INBOX', Buffer.from(`From: ${ALICE}\r\nTo: ${ALICE}\r\nSubject: appended\r\n\r\nbody\r\n`));
    await client.logout();
    const sent = await submit({ port: srv.endpoints.smtpMx }, { ...message('delivered'), from: `someone@elsewhere.test` });
    assert.deepEqual(sent.rejected, []);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels);

    assert.equal(moved('tessera_logins_total', { protocol: 'imap', outcome: 'success' }), 1, 'one IMAP login, with the app password');
    assert.ok(moved('tessera_store_operation_duration_seconds_count', { outcome: 'ok' }) > 0, 'store calls timed');
    const operations = new Set(after.filter((s) => s.name === 'tessera_store_operation_duration_seconds_count').map((s) => s.labels['operation']));
    assert.ok(operations.size >= 3, `several store operations timed: ${[...operations].join(', ')}`);
    assert.ok(moved('tessera_store_operation_duration_seconds_sum') > 0);
    // The APPEND and the delivery each put one message in INBOX and published it.
    assert.ok(moved('tessera_event_bus_lag_seconds_count', { type: 'messages-added' }) >= 2, 'bus deliveries measured');
    assert.equal(moved('tessera_deliveries_total', { kind: 'local', outcome: 'delivered' }), 1);
    const [used] = await srv.running.context.appPasswords.list(ALICE);
    assert.equal(used?.lastUsedIp, '127.0.0.1', 'the login was the app password’s');
  });
});
