// The supervisor chooses how workers accept connections (supervisor.ts). Node fixes that choice at
// the first cluster.setupPrimary() or fork(), so a supervisor started after someone else's
// setupPrimary() would silently run round-robin: it refuses instead, before forking anything.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { silentLogger } from '../../src/log/logger.js';
import { Supervisor, WorkerStartError } from '../../src/server/cluster/supervisor.js';

it('refuses to start once cluster.setupPrimary() was called by someone else, and forks nothing', async () => {
  cluster.setupPrimary({ exec: '/nonexistent/tessera-worker.js' });
  const supervisor = new Supervisor({ processes: 2, logger: silentLogger(), shutdownTimeoutSeconds: 1 });
  await assert.rejects(supervisor.start(), (err: unknown) => err instanceof WorkerStartError && /SupervisorOptions\.fork/.test(err.message));
  assert.equal(Object.keys(cluster.workers ?? {}).length, 0);
});
