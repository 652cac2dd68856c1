// The listen backlog is set explicitly and large enough for a burst of 2,000 connects a second: the
// kernel reports a listening socket's backlog as its Send-Q (ss -lt), so the test reads it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { LISTEN_BACKLOG, NetListener } from '../../src/net/listener.js';
import { silentLogger } from '../../src/log/logger.js';

const run = promisify(execFile);

test('every listener asks for a backlog that holds a 2,000-connect burst', async () => {
  const listener = new NetListener({
    settings: {
      name: 'backlog-test',
      source: 'test.conf, block 1',
      bind: [{ host: '127.0.0.1', port: 0 }],
      tls: { socketTLS: false, startTLS: false },
      connectionLimit: 0,
      connectionLimitPerIP: 0,
    },
    refusal: () => '',
    logger: silentLogger(),
    onConnection: (c) => c.socket.destroy(),
  });
  await listener.start();
  try {
    const port = listener.ports()[0]!;
    // iproute2's ss (installed by .ci/run): "State Recv-Q Send-Q Local-Address:Port ...".
    const { stdout } = await run('ss', ['-ltnH', `sport = :${port}`]);
    const fields = stdout.trim().split(/\s+/);
    const backlog = Number(fields[2]);
    const somaxconn = Number((await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim());
    assert.ok(LISTEN_BACKLOG >= 2000);
    // The kernel caps the request at net.core.somaxconn.
    assert.equal(backlog, Math.min(LISTEN_BACKLOG, somaxconn), stdout);
  } finally {
    await listener.stop(new Date(Date.now() + 100), { shutdown: () => undefined });
  }
});
