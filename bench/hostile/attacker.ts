// One attack of bench/hostile, in its own process so that flooding the server does not delay the
// bench's own measurements: `attacker.ts <attack> <port> <seconds> <connections>`. Exits when the
// attack's time is up.
import net from 'node:net';

const [attackName, portArg, secondsArg, connectionsArg] = process.argv.slice(2);
const port = Number(portArg);
const CONNECTIONS = Number(connectionsArg);
const MB = 1024 * 1024;

type Attack = (stopAt: number, sockets: Set<net.Socket>) => void;

/** Keeps one connection busy until stopAt: reconnects whenever the server closes it. */
function keepAttacking(stopAt: number, sockets: Set<net.Socket>, onConnect: (s: net.Socket) => void): void {
  if (Date.now() >= stopAt) return;
  const s = net.connect(port, '127.0.0.1');
  sockets.add(s);
  s.on('error', () => undefined);
  s.once('connect', () => onConnect(s));
  s.once('close', () => {
    sockets.delete(s);
    setTimeout(() => keepAttacking(stopAt, sockets, onConnect), 50);
  });
}

/** Writes `chunk` again and again, as fast as the server takes it, until the socket closes. */
function flood(s: net.Socket, chunk: Buffer, stopAt: number): void {
  const pump = (): void => {
    while (!s.destroyed && Date.now() < stopAt) {
      if (!s.write(chunk)) {
        s.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

const preauthLiteral: Attack = (stopAt, sockets) => {
  const junk = Buffer.alloc(64 * 1024, 0x78);
  for (let i = 0; i < CONNECTIONS; i++) {
    keepAttacking(stopAt, sockets, (s) => {
      s.write(`a${i} LOGIN owner@example.org {${64 * MB}}\r\n`);
      flood(s, junk, stopAt);
    });
  }
};

const pipelineNoRead: Attack = (stopAt, sockets) => {
  const lines = Buffer.from('a CAPABILITY\r\n'.repeat(4096));
  for (let i = 0; i < CONNECTIONS; i++) {
    keepAttacking(stopAt, sockets, (s) => {
      s.pause();
      flood(s, lines, stopAt);
    });
  }
};

const ATTACKS: Record<string, Attack> = { 'preauth-literal': preauthLiteral, 'pipeline-no-read': pipelineNoRead };

const attack = ATTACKS[attackName ?? ''];
if (!attack) throw new Error(`unknown attack ${attackName}; known: ${Object.keys(ATTACKS).join(', ')}`);
const stopAt = Date.now() + Number(secondsArg) * 1000;
const sockets = new Set<net.Socket>();
attack(stopAt, sockets);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, stopAt - Date.now())));
for (const s of sockets) s.destroy();
process.exit(0);
