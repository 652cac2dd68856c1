// The CLI side of the admin socket: one request, one reply, then hang up.
import { connect } from 'node:net';
import type { AdminRequest, AdminResponse } from './admin-protocol.js';

/** No server listens on the admin socket (not running, or another data directory). */
export class AdminSocketUnavailableError extends Error {
  override readonly name = 'AdminSocketUnavailableError';
}

/** The server answered something that is not a reply of the protocol, or nothing in time. */
export class AdminProtocolError extends Error {
  override readonly name = 'AdminProtocolError';
}

export function sendAdminRequest(path: string, request: AdminRequest, timeoutMs = 10_000): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffered = '';
    let settled = false;
    const finish = (err: Error | undefined, reply?: AdminResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new AdminProtocolError(`no reply from ${path} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      try {
        finish(undefined, parseReply(buffered.slice(0, nl)));
      } catch (err) {
        finish(err instanceof Error ? err : new AdminProtocolError(String(err)));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        finish(new AdminSocketUnavailableError(`the tessera server is not running (nothing listens on ${path})`));
      } else if (err.code === 'EACCES') {
        finish(new AdminSocketUnavailableError(`permission denied on ${path}: run as the user the server runs as`));
      } else {
        finish(new AdminSocketUnavailableError(`cannot reach ${path}: ${err.message}`));
      }
    });
    socket.on('close', () => finish(new AdminProtocolError(`${path} closed without a reply`)));
  });
}

function parseReply(line: string): AdminResponse {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AdminProtocolError('the server sent a reply that is not JSON');
  }
  if (typeof value !== 'object' || value === null || typeof (value as { ok?: unknown }).ok !== 'boolean') {
    throw new AdminProtocolError('the server sent an unexpected reply');
  }
  return value as AdminResponse;
}
