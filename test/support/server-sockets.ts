// Observes the server side of connections a test makes, through Node's 'net.server.socket'
// diagnostics channel (no hook in the server): which sockets were accepted on a port, and the most
// output each write left unflushed — what the server held in memory for a client not reading.
import dc from 'node:diagnostics_channel';
import type net from 'node:net';

export interface ServerSocketWatch {
  sockets: net.Socket[];
  /** The largest writableLength seen right after any write on a watched socket. */
  maxUnflushed(): number;
  stop(): void;
}

export function watchServerSockets(port: number): ServerSocketWatch {
  const sockets: net.Socket[] = [];
  let max = 0;
  const channel = dc.channel('net.server.socket');
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: net.Socket }).socket;
    if (socket.localPort !== port) return;
    sockets.push(socket);
    // Observe every write: the peak is what matters, not what a sample happens to see.
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      const ok = write(...args);
      max = Math.max(max, socket.writableLength);
      return ok;
    };
  };
  channel.subscribe(onSocket);
  return { sockets, maxUnflushed: () => max, stop: () => channel.unsubscribe(onSocket) };
}

