// The control HTTP listener: serves the cores' own HTTP routes (session control's back-channel
// logout) and the operator's /metrics and /healthcheck (./operator-routes.ts) on tessera.properties
// `control.http.bind`, so they work with JMAP disabled. Plain HTTP on loopback by default; nothing
// else is served here (every other path is 404).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HostPort } from '../config/types.js';
import type { HttpRoute } from '../core/http.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { NetListener } from '../net/index.js';

export const CONTROL_HTTP_NAME = 'control-http';

const SOURCE = 'tessera.properties control.http.bind';

export class ControlHttpServer implements ProtocolServer {
  readonly name = CONTROL_HTTP_NAME;
  private readonly server: Server;
  private readonly listener: NetListener;
  private readonly sockets = new Set<Socket>();

  constructor(
    bind: HostPort,
    private readonly routes: readonly HttpRoute[],
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // The edge accepts; Node enforces headersTimeout/requestTimeout only once the server "listens".
    this.server.emit('listening');
    this.listener = new NetListener({
      settings: {
        name: CONTROL_HTTP_NAME,
        source: SOURCE,
        bind: [bind],
        tls: { socketTLS: false, startTLS: false },
        connectionLimit: 0,
        connectionLimitPerIP: 0,
      },
      refusal: () => 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      logger,
      onConnection: (c) => {
        this.sockets.add(c.socket);
        c.socket.on('close', () => this.sockets.delete(c.socket));
        this.server.emit('connection', c.socket);
      },
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  describe(): string[] {
    return this.listener.urls('http').flatMap((u) => this.routes.map((r) => `${u}${r.path} (${r.method})`));
  }

  stop(deadline: Date): Promise<void> {
    // A logout being recorded gets until the deadline; idle keep-alive connections close at once.
    return this.listener.stop(deadline, {
      shutdown: () => {
        this.server.close();
        this.server.closeIdleConnections();
      },
      expire: () => {
        for (const s of this.sockets) s.destroy();
      },
    });
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
