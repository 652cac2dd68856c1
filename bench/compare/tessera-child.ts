// Tessera under comparison, in its own process so that its CPU and memory are measured alone, run as
// `tessera serve` runs it on the conf directory given as argv[2]: with server.processes=1 the whole
// server (runServe with the real protocol factories) in this process; with more, this process is the
// supervisor (startSupervisor) and the workers are the real `tessera serve` CLI (bin/tessera.js),
// forked by node:cluster. JSON logs go to stderr as in production. Creates the users named in argv[3]
// (comma-separated) first, then talks to the parent over IPC: sends 'ready' when listening; answers
// 'gc' with the RSS and V8's figures (heap, external, ArrayBuffers) after a full collection
// (--expose-gc), summed over every process of the server; answers { snapshot: path } by writing a heap
// snapshot there (one process only); exits on 'stop'.
import cluster, { type Worker } from 'node:cluster';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../../src/config/load.js';
import { createLogger, stderrLogDestination } from '../../src/log/logger.js';
import { openUsers } from '../../src/server/users.js';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { startSupervisor } from '../../src/server/cluster/primary.js';
import { GC_REQUEST, isGcAnswer, settledMemory, type GcAnswer } from './settled-rss.js';

/** What a 'gc' request answers: bytes, summed over the server's processes. */
export type ServerMemory = Omit<GcAnswer, 'bench'>;
export type ChildReply = 'ready' | ServerMemory | { snapshot: string };

const confDir = resolve(process.argv[2] ?? '');
const users = (process.argv[3] ?? '').split(',').filter(Boolean);
const { config } = await loadConfig(confDir, { env: process.env });
const processes = config.settings.processes;

/** This process's memory plus, with several processes, each worker's (each after its own full GC). */
async function serverMemory(): Promise<ServerMemory> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  const answers = workers.map(
    (w) =>
      new Promise<ServerMemory>((resolveMemory) => {
        const onMessage = (m: unknown): void => {
          if (!isGcAnswer(m)) return;
          w.off('message', onMessage);
          const { bench: _, ...memory } = m;
          resolveMemory(memory);
        };
        w.on('message', onMessage);
        w.send(GC_REQUEST);
      }),
  );
  const all = await Promise.all([settledMemory(), ...answers]);
  return all.reduce((sum, m) => ({
    rss: sum.rss + m.rss,
    heapUsed: sum.heapUsed + m.heapUsed,
    external: sum.external + m.external,
    arrayBuffers: sum.arrayBuffers + m.arrayBuffers,
    youngGeneration: sum.youngGeneration + m.youngGeneration,
  }));
}

let stop: () => Promise<void>;
if (processes === 1) {
  const running = await runServe({ confDir, factories: protocolFactories });
  for (const user of users) await running.context.users.add(user, 'unused-password-for-oauth-only');
  stop = () => running.stop();
} else {
  // Users first, while no worker has the users database open: as `tessera user add` before `serve`.
  const opened = await openUsers(config, createLogger('warn', stderrLogDestination()));
  for (const user of users) await opened.users.add(user, 'unused-password-for-oauth-only');
  await opened.close();
  // The workers run the CLI from the sources, with this process's flags (tsx, --expose-gc, --cpu-prof)
  // and worker-gc.ts preloaded to answer the RSS question.
  process.env.TESSERA_FROM_SOURCE = '1';
  const fork = {
    exec: fileURLToPath(new URL('../../bin/tessera.js', import.meta.url)),
    args: ['serve', '--conf', confDir],
    execArgv: [...process.execArgv, '--import', fileURLToPath(new URL('./worker-gc.ts', import.meta.url))],
  };
  const running = await startSupervisor({ confDir, env: process.env, logDestination: stderrLogDestination(), fork });
  stop = () => running.stop();
}

process.on('message', (msg: unknown) => {
  if (msg === 'gc') {
    void serverMemory().then((m) => process.send?.(m satisfies ChildReply));
  } else if (typeof msg === 'object' && msg !== null && 'snapshot' in msg && typeof msg.snapshot === 'string') {
    // With several processes a snapshot of the supervisor would show none of the sessions.
    process.send?.({ snapshot: processes === 1 ? writeHeapSnapshot(msg.snapshot) : '' } satisfies ChildReply);
  } else if (msg === 'stop') {
    void stop().then(() => process.exit(0));
  }
});
process.send?.('ready' satisfies ChildReply);
