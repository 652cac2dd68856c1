// A listener in its own process for test/net/burst.test.ts: greets every accepted connection with
// "hi\r\n". Sends { port } over IPC when listening; on { block: flagFile } it answers 'blocked' and
// then keeps its event loop busy (accepting nothing) until flagFile exists, as a server busy with
// other work would while a burst of connects arrives, so the kernel's listen queue has to hold them.
import { existsSync } from 'node:fs';
import { NetListener } from '../../src/net/listener.js';
import { silentLogger } from '../../src/log/logger.js';

const listener = new NetListener({
  settings: {
    name: 'burst-test',
    source: 'test/net/burst-listener-child.ts',
    bind: [{ host: '127.0.0.1', port: 0 }],
    tls: { socketTLS: false, startTLS: false },
    connectionLimit: 0,
    connectionLimitPerIP: 0,
  },
  refusal: () => '',
  logger: silentLogger(),
  onConnection: (c) => c.socket.write('hi\r\n'),
});
await listener.start();

function busyUntil(flagFile: string): void {
  while (!existsSync(flagFile)) {
    const until = Date.now() + 5;
    while (Date.now() < until);
  }
}

process.on('message', (msg: unknown) => {
  if (typeof msg === 'object' && msg !== null && 'block' in msg) {
    const flagFile = String(msg.block);
    process.send?.('blocked', () => busyUntil(flagFile));
  } else if (msg === 'stop') {
    void listener.stop(new Date(Date.now() + 500), { shutdown: () => undefined }).then(() => process.exit(0));
  }
});
process.send?.({ port: listener.ports()[0] });
