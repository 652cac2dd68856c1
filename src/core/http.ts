// HTTP routes as plain data, so a core can offer an endpoint without knowing which HTTP server
// serves it: session control offers OpenID Connect back-channel logout, and `tessera serve` mounts
// it on the JMAP server when JMAP is on, or on the small control listener (src/server). Neutral:
// any layer may import this file, and it imports nothing of the project.
import type { IncomingMessage, ServerResponse } from 'node:http';

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
