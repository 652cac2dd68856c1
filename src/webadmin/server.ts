// The WebAdmin HTTP server: authenticates, dispatches by the route table, reads bounded JSON bodies,
// answers James' error shape, and adds CORS headers when cors.enable is on. A handler answering a
// status its route does not declare is a bug (the OpenAPI document would lie): it is logged and
// answered 500, so the tests that drive every route catch it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProtocolServer, TlsMaterialLookup } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { HttpListener } from '../net/http-listener.js';
import type { ListenerTls } from '../net/types.js';
import type { AdminAuthenticator } from './auth.js';
import { Router } from './router.js';
import { WebAdminError, type Reply, type WebAdminRoute } from './types.js';

export const WEBADMIN_NAME = 'webadmin';

/** Request bodies are small JSON documents (a password, a quota): anything bigger is refused. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Answers any route may give, described once for all in the OpenAPI document (./openapi.ts). */
export const COMMON_STATUSES: readonly number[] = [400, 401, 403, 413, 500, 503];

export interface WebAdminServerOptions {
  bind: { host: string; port: number };
  tls?: ListenerTls;
  source: string;
  routes: readonly WebAdminRoute[];
  auth: AdminAuthenticator;
  cors: { enabled: boolean; origin: string };
  logger: Logger;
}

export class WebAdminServer implements ProtocolServer {
  readonly name = WEBADMIN_NAME;
  private readonly http: HttpListener;
  private readonly router: Router;

  constructor(private readonly options: WebAdminServerOptions) {
    this.router = new Router(options.routes);
    this.http = new HttpListener({
      name: WEBADMIN_NAME,
      source: options.source,
      bind: options.bind,
      ...(options.tls ? { tls: options.tls } : {}),
      logger: options.logger,
      handle: (req, res) => this.handle(req, res),
    });
  }

  start(): Promise<void> {
    return this.http.start();
  }

  describe(): string[] {
    return this.http.urls().map((u) => `${u}/ (WebAdmin REST API, ${u}/openapi.json)`);
  }

  reloadTls(material: TlsMaterialLookup): number {
    return this.http.reloadTls(material) ? 1 : 0;
  }

  stop(deadline: Date): Promise<void> {
    return this.http.stop(deadline);
  }

  private corsHeaders(): Record<string, string> {
    const { cors } = this.options;
    if (!cors.enabled) return {};
    return {
      'Access-Control-Allow-Origin': cors.origin,
      'Access-Control-Allow-Methods': 'GET, PUT, POST, DELETE, HEAD, PATCH, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization, Accept, Origin',
      'Access-Control-Max-Age': '600',
      ...(cors.origin === '*' ? {} : { Vary: 'Origin' }),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS' && this.options.cors.enabled) {
      req.resume();
      res.writeHead(204, { ...this.corsHeaders(), 'Content-Length': '0' });
      res.end();
      return;
    }
    const match = this.router.match(method, url.pathname);
    if (match.kind === 'badPath') return this.send(req, res, errorReply(new WebAdminError(400, 'InvalidArgument', 'malformed percent-encoding in the path')));
    if (match.kind === 'none') return this.send(req, res, errorReply(new WebAdminError(404, 'notFound', `no route for ${url.pathname}`)));
    if (match.kind === 'wrongMethod') {
      return this.send(req, res, errorReply(new WebAdminError(405, 'InvalidArgument', `use ${match.allowed.join(', ')}`)), { Allow: match.allowed.join(', ') });
    }
    const { route, params } = match;
    let admin = 'anonymous';
    if (!route.public) {
      const verdict = await this.options.auth.authenticate(req.headers.authorization);
      if (!verdict.ok) return this.send(req, res, errorReply(verdict.error), verdict.error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      admin = verdict.admin;
    }
    let reply: Reply;
    try {
      const body = route.body ? await readJson(req) : (req.resume(), undefined);
      reply = await route.handle({ params, query: url.searchParams, body, admin });
    } catch (err) {
      if (!(err instanceof WebAdminError)) throw err;
      reply = errorReply(err);
    }
    if (!(reply.status in route.responses) && !COMMON_STATUSES.includes(reply.status)) {
      this.options.logger.error({ method: route.method, path: route.path, status: reply.status }, 'webadmin route answered a status its description does not declare');
      if (reply.status < 400) reply = errorReply(new WebAdminError(500, 'ServerError', 'internal server error'));
    }
    if (!route.public && reply.status < 400) {
      this.options.logger.info({ admin, method, path: route.path, status: reply.status }, 'webadmin request');
    }
    this.send(req, res, reply, {}, method === 'HEAD');
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply, headers: Record<string, string> = {}, headOnly = false): void {
    req.resume();
    const all = { ...this.corsHeaders(), ...headers, 'Cache-Control': 'no-store' };
    if (reply.body === undefined) {
      res.writeHead(reply.status, { ...all, ...(reply.status === 204 ? {} : { 'Content-Length': '0' }) });
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...all, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(headOnly ? undefined : text);
  }
}

export function errorReply(err: WebAdminError): Reply {
  return { status: err.status, body: { statusCode: err.status, type: err.type, message: err.message, details: null } };
}

/** The request body as JSON, at most MAX_BODY_BYTES; WebAdminError 400/413 otherwise. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new WebAdminError(413, 'InvalidArgument', `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new WebAdminError(413, 'InvalidArgument', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new WebAdminError(400, 'InvalidArgument', 'a JSON request body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WebAdminError(400, 'InvalidArgument', 'the request body is not valid JSON');
  }
}
