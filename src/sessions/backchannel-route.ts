// POST /oidc/backchannel-logout as an HttpRoute (src/core/http.ts), for whichever HTTP server
// `tessera serve` mounts it on: the JMAP server, or the control listener when JMAP is off. The
// route is unauthenticated (the logout token is the credential, verified by the handler), reads at
// most MAX_LOGOUT_BODY_BYTES and answers exactly what the handler returns.
import type { IncomingMessage } from 'node:http';
import type { HttpRoute } from '../core/http.js';
import { BACKCHANNEL_LOGOUT_PATH, MAX_LOGOUT_BODY_BYTES, type BackchannelLogoutHandler } from './backchannel-logout.js';

/** Past this much discarded body the connection is cut instead of read to the end. */
const DISCARD_CAP = 1024 * 1024;

export function backchannelLogoutRoute(handle: BackchannelLogoutHandler): HttpRoute {
  return {
    method: 'POST',
    path: BACKCHANNEL_LOGOUT_PATH,
    async handle(req, res) {
      const body = await readLogoutBody(req);
      if (body === undefined) {
        // §2.8: a request that cannot be a valid logout answers 400.
        res.writeHead(400, { 'Cache-Control': 'no-store', 'Content-Length': 0, Connection: 'close' });
        res.end();
        return;
      }
      const answer = await handle(body, req.headers['content-type']);
      res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
    },
  };
}

/** The body, or undefined when it is larger than any logout request (the excess is read and dropped). */
function readLogoutBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_LOGOUT_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_LOGOUT_BODY_BYTES + DISCARD_CAP) req.destroy();
    });
    req.on('end', () => resolve(size > MAX_LOGOUT_BODY_BYTES ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
    // Cut above, or the client went away: nothing to answer, nothing to log.
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}
