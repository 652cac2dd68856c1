// POST /oidc/backchannel-logout as an HttpRoute (src/core/http.ts), for whichever HTTP server
// `tessera serve` mounts it on: the JMAP server, or the control listener when JMAP is off. The
// route is unauthenticated (the logout token is the credential, verified by the handler), reads at
// most MAX_LOGOUT_BODY_BYTES and answers exactly what the handler returns.
import { readBoundedBody, type HttpRoute } from '../core/http.js';
import { BACKCHANNEL_LOGOUT_PATH, MAX_LOGOUT_BODY_BYTES, type BackchannelLogoutHandler } from './backchannel-logout.js';

export function backchannelLogoutRoute(handle: BackchannelLogoutHandler): HttpRoute {
  return {
    method: 'POST',
    path: BACKCHANNEL_LOGOUT_PATH,
    async handle(req, res) {
      const body = await readBoundedBody(req, MAX_LOGOUT_BODY_BYTES);
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
