// Operator endpoints of a running Tessera on the control listener: /metrics counters move by exactly
// what real clients did (IMAP logins with a password, a token and a wrong password; one message over
// SMTP), and /healthcheck reports every component, with liveness and readiness apart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { sampleTotal, scrapeExposition, scrapeMetrics, type Sample } from '../support/prom-text.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';
import { imapConnect, submit } from './clients.js';

const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-metrics-secret';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let control: string;

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }] });
  conf = await writeE2eConf(idp);
  // A throttle that slows the second failure of one user and blocks the third, to count its actions.
  await appendFile(
    join(conf.confDir, 'tessera.properties'),
    'control.http.enabled=true\ncontrol.http.bind=127.0.0.1:0\nauth.throttle.user.freeFailures=1\nauth.throttle.user.blockAfter=3\nauth.throttle.delayMs=1\n',
  );
  srv = await startTessera(conf);
  await srv.running.context.users.add(ALICE, ALICE_PW);
  control = `http://127.0.0.1:${listenerPort(srv.running, 'control-http')}`;
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

const scrape = (): Promise<Sample[]> => scrapeMetrics(control);
const total = sampleTotal;

async function health(path: string): Promise<{ status: number; body: { status: string; checks: Array<Record<string, unknown>> } }> {
  const res = await fetch(`${control}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Array<Record<string, unknown>> } };
}

describe('metrics and health on the control listener', () => {
  it('counts logins, sessions, connections, token validations and deliveries as clients use the server', async () => {
    const before = await scrape();
    const token = await idp.accessToken(ALICE);

    const byPassword = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    await byPassword.logout();
    const byToken = await imapConnect(srv.endpoints.imap, { user: ALICE, accessToken: token });
    await byToken.logout();
    await assert.rejects(imapConnect(srv.endpoints.imap, { user: ALICE, pass: 'wrong password' }));
    const sent = await submit(
      { port: srv.endpoints.smtpMx },
      { from: `sender-${randomUUID().slice(0, 6)}@elsewhere.test`, to: ALICE, subject: 'metrics', text: 'counted once', messageId: `<${randomUUID()}@elsewhere.test>` },
    );
    assert.deepEqual(sent.rejected, []);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels);
    assert.equal(moved('tessera_logins_total', { protocol: 'imap', outcome: 'success' }), 2, 'two IMAP logins succeeded');
    assert.equal(moved('tessera_logins_total', { protocol: 'imap', outcome: 'invalid' }), 1, 'one IMAP login refused');
    const tokenLogins = (samples: readonly Sample[]): number =>
      samples
        .filter((s) => s.name === 'tessera_logins_total' && s.labels['protocol'] === 'imap' && s.labels['outcome'] === 'success')
        .filter((s) => /^(OAUTHBEARER|XOAUTH2)$/.test(s.labels['mechanism'] ?? ''))
        .reduce((n, s) => n + s.value, 0);
    assert.equal(tokenLogins(after) - tokenLogins(before), 1, 'one IMAP login with a token');
    assert.equal(moved('tessera_token_validations_total', { result: 'valid' }) + moved('tessera_token_validations_total', { result: 'cache_hit' }), 1);
    assert.equal(moved('tessera_sessions_total', { protocol: 'imap' }), 2, 'two authenticated IMAP sessions');
    assert.equal(moved('tessera_connections_total', { listener: 'imap' }), 3, 'three IMAP connections');
    assert.equal(moved('tessera_connections_total', { listener: 'smtp-mx' }), 1, 'one SMTP connection');
    assert.equal(moved('tessera_deliveries_total', { kind: 'local', outcome: 'delivered' }), 1, 'one local delivery');
    assert.equal(moved('tessera_deliveries_total', { kind: 'outbound' }), 0, 'nothing relayed');
    assert.ok(total(after, 'tessera_oidc_provider_request_duration_seconds_count', { kind: 'jwks', outcome: 'ok' }) >= 1, 'JWKS fetched for the token');
    assert.equal(total(after, 'tessera_outbound_queue_depth'), 0);
    assert.ok(total(after, 'process_resident_memory_bytes') > 0);
    assert.ok(total(after, 'process_open_fds') > 0);
  });

  it('counts the throttle slowing and then blocking repeated failures of one user', async () => {
    const before = await scrape();
    const mallory = `mallory@${DOMAIN}`;
    for (let i = 0; i < 4; i++) await assert.rejects(imapConnect(srv.endpoints.imap, { user: mallory, pass: `guess ${i}` }));
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels);
    assert.ok(moved('tessera_auth_throttle_events_total', { action: 'delay', protocol: 'imap' }) >= 1, 'a failure answered slowly');
    assert.ok(moved('tessera_auth_throttle_events_total', { action: 'block', scope: 'address+user', protocol: 'imap' }) >= 1, 'the user blocked from this address');
    assert.ok(moved('tessera_logins_total', { protocol: 'imap', outcome: 'throttled' }) >= 1, 'the attempt after the block refused as throttled');
    assert.equal(moved('tessera_logins_total', { protocol: 'imap', outcome: 'success' }), 0);
  });

  it('exposes every family operators chart, with prom-client\'s process metrics', async () => {
    const { types } = await scrapeExposition(control);
    const expected: Record<string, string> = {
      tessera_connections_total: 'counter',
      tessera_connections_open: 'gauge',
      tessera_connections_refused_total: 'counter',
      tessera_sessions_total: 'counter',
      tessera_sessions_open: 'gauge',
      tessera_sessions_ended_by_server_total: 'counter',
      tessera_logins_total: 'counter',
      tessera_auth_throttle_events_total: 'counter',
      tessera_token_validations_total: 'counter',
      tessera_oidc_provider_request_duration_seconds: 'histogram',
      tessera_deliveries_total: 'counter',
      tessera_outbound_queue_depth: 'gauge',
      tessera_outbound_queue_oldest_age_seconds: 'gauge',
      tessera_store_operation_duration_seconds: 'histogram',
      tessera_event_bus_lag_seconds: 'histogram',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      process_open_fds: 'gauge',
      process_max_fds: 'gauge',
      process_start_time_seconds: 'gauge',
      nodejs_eventloop_lag_p99_seconds: 'gauge',
      nodejs_eventloop_lag_max_seconds: 'gauge',
      nodejs_heap_used_bytes: 'gauge',
      nodejs_heap_total_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_gc_duration_seconds: 'histogram',
      nodejs_version_info: 'gauge',
    };
    const missing = Object.entries(expected).filter(([name, type]) => types.get(name) !== type);
    assert.deepEqual(missing, [], 'every family is served with its type');
    const samples = await scrapeMetrics(control);
    const started = total(samples, 'process_start_time_seconds');
    assert.ok(started > 1.7e9 && started <= Date.now() / 1000, `a plausible start time: ${started}`);
    assert.ok(total(samples, 'nodejs_heap_used_bytes') > 0 && total(samples, 'nodejs_heap_used_bytes') <= total(samples, 'nodejs_heap_total_bytes'));
    assert.ok(total(samples, 'process_cpu_seconds_total') > 0);
  });

  it('reports every component healthy, with liveness and readiness', async () => {
    const healthy = await health('/healthcheck');
    assert.equal(healthy.status, 200);
    assert.equal(healthy.body.status, 'healthy');
    const names = healthy.body.checks.map((c) => c['componentName']);
    assert.deepEqual(names, ['Mail store', 'Users repository', `OpenID provider ${new URL(idp.issuer).origin}`, 'Outbound queue']);
    for (const c of healthy.body.checks) {
      assert.equal(c['status'], 'healthy');
      assert.equal(c['escapedComponentName'], encodeURIComponent(String(c['componentName'])));
      assert.equal(c['cause'], null);
    }
    assert.equal((await health('/healthcheck/ready')).status, 200);
    assert.equal((await health('/healthcheck/live')).status, 200);
  });
});
