// /metrics with several server processes, without the processes: the primary's MetricsGatherer and
// a worker's WorkerMetrics joined by stand-in IPC channels (JSON copies, as node's IPC makes), plus a
// second worker played by hand. The whole path runs in test/server/processes.test.ts; here are the
// cases real processes do not produce on demand: a worker that never answers, a primary gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import { MetricsRegistry } from '../../src/core/metrics.js';
import { MetricsGatherer } from '../../src/server/cluster/metrics-gather.js';
import { ClusterMetricsError, WorkerMetrics } from '../../src/server/cluster/worker-metrics.js';
import { asClusterMessage, type ClusterMessage, type IpcChannel } from '../../src/server/cluster/messages.js';
import { captureLogger } from '../support/capture-logger.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';

const copy = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

/** The primary's handle on a worker: what the primary sends it goes to `deliver`. */
function standInWorker(pid: number, deliver: (message: ClusterMessage) => void): Worker {
  return { process: { pid }, isConnected: () => true, send: (m: ClusterMessage) => (setImmediate(() => deliver(copy(m))), true) } as unknown as Worker;
}

/** A worker's end of the channel, whose messages go to the primary's `receive`. */
class WorkerEnd extends EventEmitter implements IpcChannel {
  connected = true;
  receive: (message: ClusterMessage) => void = () => {};
  send = (message: ClusterMessage): boolean => {
    setImmediate(() => this.receive(copy(message)));
    return true;
  };
}

/** A first worker running WorkerMetrics and a second one answering with `other`'s series, or silent. */
function cluster(options: { otherAnswers: boolean; timeoutMs?: number }): { first: WorkerMetrics; lines: string[] } {
  const { logger, lines } = captureLogger('warn');
  const gatherer = new MetricsGatherer(logger, options.timeoutMs);
  const end = new WorkerEnd();
  const firstWorker = standInWorker(101, (m) => end.emit('message', m));
  const other = new MetricsRegistry();
  other.counter('t_cluster_logins_total', 'Logins.').inc({}, 5);
  const secondWorker: Worker = standInWorker(102, (raw) => {
    const message = asClusterMessage(raw);
    if (message?.tessera !== 'metrics-request' || !options.otherAnswers) return;
    void other.snapshot().then((snapshot) => gatherer.reply(secondWorker, copy({ tessera: 'metrics-reply', id: message.id, snapshot })));
  });
  end.receive = (message) => {
    if (message.tessera === 'metrics-gather') gatherer.gather(firstWorker, message.id, [firstWorker, secondWorker]);
    else if (message.tessera === 'metrics-reply') gatherer.reply(firstWorker, message);
  };
  return { first: new WorkerMetrics(end, logger), lines };
}

describe('/metrics across server processes (gatherer and worker side)', () => {
  it("renders every worker's series, the other worker's included", async () => {
    const { first } = cluster({ otherAnswers: true });
    try {
      const { samples } = parsePrometheusText(await first.render());
      assert.equal(sampleValue(samples, 't_cluster_logins_total'), 5);
    } finally {
      first.stop();
    }
  });

  it('leaves out, and logs, a worker that does not answer in time, instead of failing the scrape', async () => {
    const { first, lines } = cluster({ otherAnswers: false, timeoutMs: 50 });
    try {
      const text = await first.render();
      assert.ok(!text.includes('t_cluster_logins_total'));
      const warned = lines.map((l) => JSON.parse(l) as { msg: string; pids?: number[] }).find((l) => l.msg.includes('did not answer in time'));
      assert.deepEqual(warned?.pids, [102]);
    } finally {
      first.stop();
    }
  });

  it('fails the scrape (ClusterMetricsError) when the supervising process cannot be reached', async () => {
    const end = new WorkerEnd();
    end.connected = false;
    const worker = new WorkerMetrics(end, captureLogger().logger);
    try {
      await assert.rejects(worker.render(), ClusterMetricsError);
    } finally {
      worker.stop();
    }
  });
});
