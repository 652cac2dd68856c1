// HTTP routes as plain data, so a core can offer an endpoint without knowing which HTTP server
// serves it: session control offers OpenID Connect back-channel logout, and `tessera serve` mounts
// it on the JMAP server when JMAP is on, or on the small control listener (src/server). Neutral:
// any layer may import this file, and it imports nothing of the project.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Past this much discarded body the connection is cut instead of read to the end. */
const DISCARD_CAP = 1024 * 1024;

export interface HttpRoute {
  /** Upper-case request method, e.g. POST; other methods on the path get 405 from the server. */
  readonly method: string;
  /** Exact path, without query string, e.g. /oidc/backchannel-logout. */
  readonly path: string;
  /**
   * Answers the request completely (reads the body it needs, writes status, headers and body).
   * A rejection is the server's to log and answer with 500.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * A request body of at most `max` bytes, or undefined when it is larger (the excess up to a cap is
 * read and dropped so the answer can still be sent; past the cap the connection is cut) or the client
 * went away before the end.
 */
export function readBoundedBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else if (size > max + DISCARD_CAP) req.destroy();
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}
