// The control HTTP listener: serves the cores' own HTTP routes (session control's back-channel
// logout) and the operator's /metrics and /healthcheck (./operator-routes.ts) on tessera.properties
// `control.http.bind`, so they work with JMAP disabled. Plain HTTP on loopback by default; nothing
// else is served here (every other path is 404).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostPort } from '../config/types.js';
import type { HttpRoute } from '../core/http.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { answerJson, HttpListener } from '../net/http-listener.js';

export const CONTROL_HTTP_NAME = 'control-http';

const SOURCE = 'tessera.properties control.http.bind';

export class ControlHttpServer implements ProtocolServer {
  readonly name = CONTROL_HTTP_NAME;
  private readonly http: HttpListener;

  constructor(
    bind: HostPort,
    private readonly routes: readonly HttpRoute[],
    logger: Logger,
  ) {
    this.http = new HttpListener({ name: CONTROL_HTTP_NAME, source: SOURCE, bind, logger, handle: (req, res) => this.handle(req, res) });
  }

  start(): Promise<void> {
    return this.http.start();
  }

  describe(): string[] {
    return this.http.urls().flatMap((u) => this.routes.map((r) => `${u}${r.path} (${r.method})`));
  }

  stop(deadline: Date): Promise<void> {
    return this.http.stop(deadline);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.find((r) => r.path === path);
    if (!route) return answerJson(req, res, 404, {}, { error: 'not found' });
    if (req.method !== route.method) return answerJson(req, res, 405, { Allow: route.method }, { error: `use ${route.method}` });
    await route.handle(req, res);
  }
}
