// The control HTTP listener: serves the cores' own HTTP routes (session control's back-channel
// logout) on tessera.properties `control.http.bind`, so they work with JMAP disabled. Plain HTTP on
// loopback by default; nothing else is served here (every other path is 404).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config/types.js';
import type { HttpRoute } from '../core/http.js';
import type { Logger } from '../log/logger.js';
import type { ProtocolServer } from './types.js';

export const CONTROL_HTTP_NAME = 'control-http';

export class ControlHttpServer implements ProtocolServer {
  readonly name = CONTROL_HTTP_NAME;
  private readonly server: Server;

  constructor(
    private readonly bind: HostPort,
    private readonly routes: readonly HttpRoute[],
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new Error(`control HTTP listener cannot listen on ${this.bind.host}:${this.bind.port} (tessera.properties control.http.bind): ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(this.bind.port, this.bind.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  describe(): string[] {
    const addr = this.server.address() as AddressInfo | null;
    if (addr === null) return [];
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return this.routes.map((r) => `http://${host}:${addr.port}${r.path} (${r.method})`);
  }

  async stop(deadline: Date): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // A logout being recorded gets until the deadline; then whatever is left is cut.
    const timer = setTimeout(() => this.server.closeAllConnections(), Math.max(0, deadline.getTime() - Date.now()));
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.find((r) => r.path === path);
    try {
      if (!route) return answer(req, res, 404, {}, 'not found');
      if (req.method !== route.method) return answer(req, res, 405, { Allow: route.method }, `use ${route.method}`);
      await route.handle(req, res);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err), path }, 'control HTTP request failed');
      if (!res.headersSent) answer(req, res, 500, {}, 'internal server error');
      else res.destroy();
    }
  }
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, message: string): void {
  req.resume();
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
