import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, renderAggregated, type MetricsSnapshot } from '../../src/core/metrics.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';

describe('metrics registry (prom-client, Prometheus text 0.0.4)', () => {
  it('renders counters, gauges and histograms with labels that parse back', async () => {
    const r = new MetricsRegistry();
    const logins = r.counter('t_logins_total', 'Logins.\nSecond line', ['mechanism', 'outcome']);
    logins.inc({ mechanism: 'PLAIN', outcome: 'success' });
    logins.inc({ mechanism: 'PLAIN', outcome: 'success' }, 2);
    logins.inc({ mechanism: 'we"ird\\', outcome: 'bad\nline' });
    const open = r.gauge('t_open', 'Open.', ['protocol']);
    open.inc({ protocol: 'imap' });
    open.inc({ protocol: 'imap' });
    open.dec({ protocol: 'imap' });
    const lat = r.histogram('t_latency_seconds', 'Latency.', ['kind'], [0.1, 1]);
    lat.observe({ kind: 'a' }, 0.05);
    lat.observe({ kind: 'a' }, 0.5);
    lat.observe({ kind: 'a' }, 5);
    let collected = 0;
    r.collect(() => {
      collected += 1;
      open.set({ protocol: 'smtp' }, 7);
    });
    const text = await r.render();
    const { samples, types } = parsePrometheusText(text);
    assert.equal(collected, 1);
    assert.equal(r.prometheus.getSingleMetric('t_logins_total')?.constructor.name, 'Counter', 'the series live in prom-client');
    assert.equal(types.get('t_logins_total'), 'counter');
    assert.equal(types.get('t_latency_seconds'), 'histogram');
    assert.match(text, /# HELP t_logins_total Logins\.\\nSecond line\n/);
    assert.equal(sampleValue(samples, 't_logins_total', { mechanism: 'PLAIN', outcome: 'success' }), 3);
    assert.equal(sampleValue(samples, 't_logins_total', { mechanism: 'we"ird\\', outcome: 'bad\nline' }), 1);
    assert.equal(sampleValue(samples, 't_open', { protocol: 'imap' }), 1);
    assert.equal(sampleValue(samples, 't_open', { protocol: 'smtp' }), 7);
    assert.equal(sampleValue(samples, 't_latency_seconds_bucket', { kind: 'a', le: '0.1' }), 1);
    assert.equal(sampleValue(samples, 't_latency_seconds_bucket', { kind: 'a', le: '1' }), 2);
    assert.equal(sampleValue(samples, 't_latency_seconds_bucket', { kind: 'a', le: '+Inf' }), 3);
    assert.equal(sampleValue(samples, 't_latency_seconds_count', { kind: 'a' }), 3);
    assert.equal(sampleValue(samples, 't_latency_seconds_sum', { kind: 'a' }), 5.55);
  });

  it('adds up several processes: counters and histograms summed, gauges summed or, for shared state, the largest', async () => {
    const processes = [1, 2].map((n) => {
      const r = new MetricsRegistry();
      r.counter('t_logins_total', 'Logins.', ['protocol']).inc({ protocol: 'imap' }, n * 10);
      r.gauge('t_open', 'Open.').set({}, n);
      r.histogram('t_latency_seconds', 'Latency.', [], [1]).observe({}, n);
      let queued = 0;
      const queue = r.gauge('t_queue_depth', 'Queue.', [], 'max');
      // Collectors run for a snapshot as for a render.
      r.collect(() => queue.set({}, (queued = 5 + n)));
      return { r, queued: () => queued };
    });
    const snapshots = await Promise.all(processes.map((p) => p.r.snapshot()));
    assert.deepEqual(processes.map((p) => p.queued()), [6, 7]);
    // Through JSON, as over the cluster IPC channel.
    const { samples } = parsePrometheusText(await renderAggregated(snapshots.map((s) => JSON.parse(JSON.stringify(s)) as MetricsSnapshot)));
    assert.equal(sampleValue(samples, 't_logins_total', { protocol: 'imap' }), 30);
    assert.equal(sampleValue(samples, 't_open', {}), 3);
    assert.equal(sampleValue(samples, 't_queue_depth', {}), 7);
    assert.equal(sampleValue(samples, 't_latency_seconds_count', {}), 2);
    assert.equal(sampleValue(samples, 't_latency_seconds_bucket', { le: '1' }), 1);
  });

  it('refuses undeclared labels, decreasing counters and a name reused with another type', () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_c_total', 'C.', ['a']);
    assert.equal(r.counter('t_c_total', 'C.', ['a']), c);
    assert.throws(() => c.inc({ b: 'x' }), /not declared/);
    assert.throws(() => c.inc({ a: 'x' }, -1), /cannot decrease/);
    assert.throws(() => r.gauge('t_c_total', 'G.'), /already declared as a counter/);
    assert.throws(() => r.counter('bad-name', 'x'), /invalid metric name/);
  });

  it('stops adding series at its bound instead of growing without end', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_many_total', 'Many.', ['v']);
    for (let i = 0; i < 1500; i++) c.inc({ v: String(i) });
    const { samples } = parsePrometheusText(await r.render());
    assert.equal(samples.length, 1000);
  });

  it('counts label sets whose values run together as different series, and still refuses an undeclared label beside declared ones', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_pairs_total', 'Pairs.', ['a', 'b']);
    // Joined without care these two read the same ("ab:c" / "a:bc" around a separator).
    c.inc({ a: 'ab:', b: 'c' });
    c.inc({ a: 'ab', b: ':c' });
    c.inc({ a: '1:x', b: '' });
    c.inc({ a: '1', b: 'x' });
    assert.throws(() => c.inc({ a: 'x', b: 'y', z: 'undeclared' }), /"z" is not declared/);
    const { samples } = parsePrometheusText(await r.render());
    assert.equal(samples.length, 4);
    assert.ok(samples.every((s) => s.value === 1), 'each label set is its own series');
  });
});
