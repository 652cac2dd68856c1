// Questions one worker asks every worker (server.processes > 1), without the processes: the
// supervisor's WorkerGatherer and a worker's ClusterGather joined by stand-in IPC channels (JSON
// copies, as node's IPC makes), plus a second worker played by hand. The whole path runs in
// test/server/processes.test.ts; here are the cases real processes do not produce on demand: a
// worker that never answers, a worker with nothing to say, a supervisor gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import { MetricsRegistry, renderAggregated, type MetricsSnapshot } from '../../src/core/metrics.js';
import { WorkerGatherer } from '../../src/server/cluster/gather.js';
import { ClusterGather, ClusterGatherError } from '../../src/server/cluster/worker-gather.js';
import { asClusterMessage, type ClusterMessage, type IpcChannel } from '../../src/server/cluster/messages.js';
import { captureLogger } from '../support/capture-logger.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';

const copy = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

/** The supervisor's handle on a worker: what the supervisor sends it goes to `deliver`. */
function standInWorker(pid: number, deliver: (message: ClusterMessage) => void): Worker {
  return { process: { pid }, isConnected: () => true, send: (m: ClusterMessage) => (setImmediate(() => deliver(copy(m))), true) } as unknown as Worker;
}

/** A worker's end of the channel, whose messages go to the supervisor's `receive`. */
class WorkerEnd extends EventEmitter implements IpcChannel {
  connected = true;
  receive: (message: ClusterMessage) => void = () => {};
  send = (message: ClusterMessage): boolean => {
    setImmediate(() => this.receive(copy(message)));
    return true;
  };
}

/** A first worker running ClusterGather, and a second one answering with `second(what, arg)` (undefined: silent). */
function cluster(second: (what: string, arg: unknown) => Promise<unknown> | undefined, timeoutMs?: number): { first: ClusterGather; lines: string[] } {
  const { logger, lines } = captureLogger('warn');
  const gatherer = new WorkerGatherer(logger, timeoutMs);
  const end = new WorkerEnd();
  const firstWorker = standInWorker(101, (m) => end.emit('message', m));
  const secondWorker: Worker = standInWorker(102, (raw) => {
    const message = asClusterMessage(raw);
    if (message?.tessera !== 'gather-request') return;
    void second(message.what, message.arg)?.then((part) => gatherer.reply(secondWorker, copy({ tessera: 'gather-reply', id: message.id, part })));
  });
  end.receive = (message) => {
    if (message.tessera === 'gather') gatherer.gather(firstWorker, message, [firstWorker, secondWorker]);
    else if (message.tessera === 'gather-reply') gatherer.reply(firstWorker, message);
  };
  return { first: new ClusterGather(end, logger), lines };
}

async function logins(n: number): Promise<MetricsSnapshot> {
  const r = new MetricsRegistry();
  r.counter('t_cluster_logins_total', 'Logins.').inc({}, n);
  return r.snapshot();
}

describe('questions to every server process (supervisor and worker side)', () => {
  it("gets every worker's answer, its own included: metrics added up, a session ended where it lives", async () => {
    const { first } = cluster(async (what, arg) => (what === 'metrics' ? logins(5) : what === 'end-session' ? (arg as { id: string }).id === 's2' : null));
    first.answer('metrics', () => logins(2));
    first.answer('end-session', () => false);
    try {
      const { samples } = parsePrometheusText(await renderAggregated((await first.ask('metrics')) as MetricsSnapshot[]));
      assert.equal(sampleValue(samples, 't_cluster_logins_total'), 7);
      assert.deepEqual((await first.ask('end-session', { id: 's2', reason: 'test' })).sort(), [false, true]);
      // A worker that has nothing to say about a question (no answerer, or null) is left out.
      assert.deepEqual(await first.ask('sessions'), []);
    } finally {
      first.stop();
    }
  });

  it('leaves out, and logs, a worker that does not answer in time, instead of failing the question', async () => {
    const { first, lines } = cluster(() => undefined, 50);
    first.answer('metrics', () => logins(2));
    try {
      const parts = await first.ask('metrics');
      assert.equal(parts.length, 1);
      const warned = lines.map((l) => JSON.parse(l) as { msg: string; pids?: number[] }).find((l) => l.msg.includes('did not answer in time'));
      assert.deepEqual(warned?.pids, [102]);
    } finally {
      first.stop();
    }
  });

  it('fails the question (ClusterGatherError) when the supervising process cannot be reached', async () => {
    const end = new WorkerEnd();
    end.connected = false;
    const worker = new ClusterGather(end, captureLogger().logger);
    try {
      await assert.rejects(worker.ask('metrics'), ClusterGatherError);
    } finally {
      worker.stop();
    }
  });
});
