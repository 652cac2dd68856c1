// Loopback TCP for the tests: whether something accepts connections on a port (a server up, or gone
// after a stop), and the client sockets raw protocol clients talk over (clear, implicit TLS, or
// upgraded in place after STARTTLS/STLS), accepting the server's self-signed certificate.
import net, { connect } from 'node:net';
import tls from 'node:tls';
import { withDeadline } from './wait.js';

const CONNECT_MS = 10_000;

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** How a client checks the server's certificate: against `ca` when given (else accepted), `servername` as SNI. */
export interface ClientTls {
  ca?: string;
  servername?: string;
}

function clientTls(options: ClientTls): tls.ConnectionOptions {
  return { ...(options.servername ? { servername: options.servername } : {}), ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }) };
}

/** A connected client socket to a loopback port, over implicit TLS when `useTls`. */
export async function connectClient(port: number, useTls: boolean, what: string, options: ClientTls & { localAddress?: string } = {}): Promise<net.Socket> {
  const from = options.localAddress ? { localAddress: options.localAddress } : {};
  const socket = useTls ? tls.connect({ host: '127.0.0.1', port, ...from, ...clientTls(options) }) : net.connect({ host: '127.0.0.1', port, ...from });
  await withDeadline(
    new Promise<void>((resolve, reject) => {
      socket.once(useTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    }),
    CONNECT_MS,
    what,
  );
  return socket;
}

/** The TLS handshake on an open clear socket (after the server said yes to STARTTLS/STLS). */
export async function upgradeClient(raw: net.Socket, what: string, options: ClientTls = {}): Promise<tls.TLSSocket> {
  const secure = tls.connect({ socket: raw, ...clientTls(options) });
  await withDeadline(new Promise<void>((resolve, reject) => secure.once('secureConnect', () => resolve()).once('error', reject)), CONNECT_MS, what);
  return secure;
}
