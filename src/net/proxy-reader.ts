// Reads the PROXY protocol header off a freshly accepted socket, before the protocol (or the TLS
// handshake) sees a byte. The socket is read in paused mode ('readable' + read()), so nothing flows
// past unseen; the bytes that came with the header but belong after it are put back (unshift) in
// order, where the protocol's reader — or Node's TLS layer, which drains a wrapped socket's buffer
// first — finds them. A header cut across segments waits for its end; a wrong, oversized or late
// header is an error and the caller closes the connection (spec: never guess, abort early).
import type { Socket } from 'node:net';
import { parseProxyHeader, type ProxyHeader } from './proxy-protocol.js';

export class ProxyHeaderError extends Error {
  override readonly name = 'ProxyHeaderError';
}

/** Resolves with the header once complete; rejects (the socket left to the caller) otherwise. */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const finish = (outcome: { header: ProxyHeader; rest: Buffer } | ProxyHeaderError): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onGone);
      socket.off('close', onGone);
      if (outcome instanceof ProxyHeaderError) return reject(outcome);
      if (outcome.rest.length > 0) socket.unshift(outcome.rest);
      resolve(outcome.header);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const parsed = parseProxyHeader(received);
        if (parsed.kind === 'incomplete') continue;
        if (parsed.kind === 'invalid') return finish(new ProxyHeaderError(parsed.reason));
        return finish({ header: parsed.header, rest: received.subarray(parsed.length) });
      }
    };
    const onGone = (): void => finish(new ProxyHeaderError('connection closed before the PROXY header was complete'));
    // The spec asks for a short bound, at least 3 s to cover a TCP retransmit.
    const timer = setTimeout(() => finish(new ProxyHeaderError(`no complete PROXY header within ${timeoutMs} ms`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('end', onGone);
    socket.once('close', onGone);
  });
}
