// The provider requests' default HTTP client: node:http(s) over keep-alive agents, behind the same
// FetchFunction seam tests replace. The global fetch cost 2–4 ms of CPU per cold token introspection
// (its Request, Headers and body streams); a pooled connection and one buffered body cost a fraction.
// Only what requestJson uses is supported: GET/POST, string headers and body, a signal, no redirects
// (a 3xx is an error, as `redirect: 'error'` makes it), and the body is bounded while it is read (a
// larger one fails the request: the provider counts as unavailable).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchFunction } from './http.js';

/** Idle provider connections kept per host: introspection bursts come from many logins at once. */
const MAX_FREE_SOCKETS = 16;
/** Longest provider body read (requestJson's own limit is 1 MiB of text). */
const MAX_BODY_BYTES = 1024 * 1024;

const agents = {
  http: new HttpAgent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS }),
  https: new HttpsAgent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS }),
};

export const agentFetch: FetchFunction = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const signal = init.signal ?? undefined;
    const body = typeof init.body === 'string' ? init.body : undefined;
    // requestJson passes a plain record; anything else goes through Headers' own normalisation.
    const given = init.headers;
    const headers: Record<string, string> =
      given === undefined ? {} : given instanceof Headers || Array.isArray(given) ? Object.fromEntries(new Headers(given)) : { ...(given as Record<string, string>) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = (secure ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: secure ? agents.https : agents.http, signal });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.resume();
        reject(new Error(`provider redirected (${status})`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
        // Hostile or broken provider: stop reading rather than buffer without end.
        if (size > MAX_BODY_BYTES) res.destroy(new Error('provider response too large'));
      });
      res.once('error', reject);
      res.once('end', () => {
        resolve(new Response(status === 204 || status === 205 || status === 304 ? null : Buffer.concat(chunks).toString('utf8'), { status }));
      });
      res.once('close', () => {
        if (!res.complete) reject(new Error('provider response interrupted'));
      });
    });
    req.end(body);
  });
