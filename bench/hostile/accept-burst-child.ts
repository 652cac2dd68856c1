// The clients of ./accept-burst.ts, in their own process: `accept-burst-child.ts <port> <floods>
// <burst>`. Keeps <floods> connections pipelining NOOP (replies read and dropped), says 'ready' once
// they are all connected; on 'burst' opens <burst> connections and says 'sent' once all are
// connected (queued in the server's listen queue or accepted), on 'clear' closes them and says
// 'cleared', on 'exit' exits.
import net from 'node:net';

const [portArg, floodsArg, burstArg] = process.argv.slice(2);
const port = Number(portArg);
const lines = Buffer.from('a NOOP\r\n'.repeat(4096));
const all = new Set<net.Socket>();

function open(): net.Socket {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  all.add(s);
  return s;
}

let floodsUp = 0;
for (let i = 0; i < Number(floodsArg); i++) {
  const s = open();
  s.on('data', () => undefined);
  const pump = (): void => {
    while (!s.destroyed && s.write(lines));
    if (!s.destroyed) s.once('drain', pump);
  };
  s.once('connect', () => {
    pump();
    if (++floodsUp === Number(floodsArg)) process.send?.('ready');
  });
}

let burst: net.Socket[] = [];
process.on('message', (m: unknown) => {
  if (m === 'burst') {
    let connected = 0;
    burst = Array.from({ length: Number(burstArg) }, () => open());
    for (const s of burst) s.once('connect', () => ++connected === burst.length && process.send?.('sent'));
  } else if (m === 'clear') {
    for (const s of burst) s.destroy();
    burst = [];
    process.send?.('cleared');
  } else if (m === 'exit') {
    for (const s of all) s.destroy();
    process.exit(0);
  }
});
