// A small HTTP/1.1 server on the one network edge (NetListener): the control listener and WebAdmin
// both serve plain request handlers through it, with the edge's limits, TLS and graceful stop. Node's
// http module parses; the handler answers; a rejected handler is logged and answered 500.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NetListener } from './listener.js';
import type { BindAddress, ListenerTls, NetLogger } from './types.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpListenerOptions {
  name: string;
  /** Where it was configured, for start-up errors. */
  source: string;
  bind: BindAddress;
  /** Implicit TLS (HTTPS) when given with socketTLS; plain HTTP otherwise. */
  tls?: ListenerTls;
  logger: NetLogger;
  handle: HttpHandler;
}

export class HttpListener {
  private readonly server: Server;
  private readonly listener: NetListener;
  private readonly sockets = new Set<Socket>();
  readonly scheme: 'http' | 'https';

  constructor(private readonly options: HttpListenerOptions) {
    this.server = createServer((req, res) => void this.serve(req, res));
    // The edge accepts; Node enforces headersTimeout/requestTimeout only once the server "listens".
    this.server.emit('listening');
    const tls = options.tls?.socketTLS ? options.tls : { socketTLS: false, startTLS: false };
    this.scheme = tls.socketTLS ? 'https' : 'http';
    this.listener = new NetListener({
      settings: { name: options.name, source: options.source, bind: [options.bind], tls, connectionLimit: 0, connectionLimitPerIP: 0 },
      refusal: () => 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      logger: options.logger,
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

  /** Base URLs actually bound, e.g. http://127.0.0.1:8001. */
  urls(): string[] {
    return this.listener.urls(this.scheme);
  }

  /** See NetListener.reloadTls. */
  reloadTls(material: (source: string) => ListenerTls | undefined): boolean {
    return this.listener.reloadTls(material);
  }

  stop(deadline: Date): Promise<void> {
    // A request being answered gets until the deadline; idle keep-alive connections close at once.
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

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.options.handle(req, res);
    } catch (err) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      this.options.logger.error({ err: err instanceof Error ? err.message : String(err), path }, `${this.options.name} request failed`);
      if (!res.headersSent) answerJson(req, res, 500, {}, { error: 'internal server error' });
      else res.destroy();
    }
  }
}

/** Answers with a JSON body, discarding whatever request body is left. */
export function answerJson(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  req.resume();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
