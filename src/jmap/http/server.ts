// The JMAP HTTP front-end on node:http: routing, authentication, limits, and the mapping of
// failures to status codes and RFC 7807 problems. Method semantics live behind JmapBackend. It never
// listens itself: the network edge (src/net) accepts each connection, TLS included, and hands it over
// with accept(), so limits and TLS rules are the same code as for IMAP and SMTP.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { httpRequestEncrypted } from '../../auth/policy.js';
import { CidrList } from '../../net/cidr.js';
import { newSessionId } from '../../net/session-id.js';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../log/logger.js';
import type { Principal } from '../../auth/types.js';
import type { AuthConfig, TokenExpiryPolicy } from '../../config/types.js';
import type { HttpRoute } from '../../core/http.js';
import type { SessionAdmission } from '../../core/sessions.js';
import { PushChannels, type PushChannel } from '../push/channels.js';
import type { CoreLimits } from '../capabilities.js';
import { RequestProblem } from '../errors.js';
import { parseJsonBody, toJmapRequest } from '../core/parse.js';
import { AccountAccessError, BlobNotFoundError, type JmapBackend } from '../backend.js';
import { authenticateRequest } from '../auth/authenticate.js';
import type { AuthStrategy } from '../auth/types.js';
import { serveEventSource } from '../push/eventsource.js';
import { serveWebSocket } from '../push/websocket.js';
import { readBody, spoolBody, BodyTooLargeError, isJsonMediaType } from './body.js';
import type { SpoolDir, SpooledMessage } from '../../store/index.js';
import { ConcurrencyGate } from './concurrency.js';
import { plainProblem, sendJson, sendProblem } from './respond.js';
import { PATHS } from './paths.js';
import { streamBody } from './stream-body.js';

export { PATHS };

export interface JmapHttpOptions {
  backend: JmapBackend;
  strategies: readonly AuthStrategy[];
  limits: CoreLimits;
  logger: Logger;
  /** Public base URL for the session's URL templates; empty = derived from the Host header. */
  urlPrefix: string;
  /** JMAP's auth settings, kept with each push channel for re-introspection. */
  auth: AuthConfig;
  tokenExpiry: TokenExpiryPolicy;
  /** Admits push channels and refuses revoked tokens. */
  sessions: SessionAdmission;
  /** Other cores' routes (back-channel logout), matched by exact path before JMAP's own. */
  routes: readonly HttpRoute[];
  /** TLS-terminating proxies whose X-Forwarded-Proto: https is believed (besides loopback). */
  trustedProxies?: readonly string[];
  /** Uploads are written here as their body arrives, then handed to the store as a file. */
  spool: SpoolDir;
}

const SHUTDOWN_REASON = 'server shutting down';


export class JmapHttpServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly apiGate: ConcurrencyGate;
  private readonly uploadGate: ConcurrencyGate;
  private readonly sockets = new Set<Socket>();
  readonly channels: PushChannels;
  private readonly busy = new Set<Socket>();
  private readonly trustedProxies: CidrList;
  /** Each accepted socket's client address (see accept). */
  private readonly peers = new WeakMap<Socket, string>();

  constructor(private readonly options: JmapHttpOptions) {
    this.trustedProxies = new CidrList(options.trustedProxies ?? []);
    this.server = createHttpServer((req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res));
    // Node starts enforcing headersTimeout/requestTimeout (slow-loris defence) on 'listening'; this
    // server never listens itself, so it is told the edge is listening for it.
    this.server.emit('listening');
    this.channels = new PushChannels({ sessions: options.sessions, auth: options.auth, tokenExpiry: options.tokenExpiry });
    this.apiGate = new ConcurrencyGate(options.limits.maxConcurrentRequests);
    this.uploadGate = new ConcurrencyGate(options.limits.maxConcurrentUpload);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxSizeRequest,
      handleProtocols: (protocols) => (protocols.has('jmap') ? 'jmap' : false),
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.upgrade(req, socket, head));
  }

  /**
   * Serves HTTP on a connection the network edge accepted (a TLSSocket under implicit TLS). `peer` is
   * the client as the edge names it: behind a PROXY protocol balancer, not the socket's own peer.
   */
  accept(socket: Socket, peer: string = socket.remoteAddress ?? ''): void {
    this.peers.set(socket, peer);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.server.emit('connection', socket);
  }

  /** Closes every push stream and WebSocket, and idle keep-alive sockets; busy ones finish first. */
  closeStreams(): void {
    // Stops the timeout checks and closes idle keep-alive connections Node tracks.
    this.server.close();
    this.channels.closeAll(SHUTDOWN_REASON);
    for (const s of this.sockets) if (!this.busy.has(s)) s.end();
  }

  destroyAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.sockets) s.destroy();
  }

  private peerOf(socket: Socket): string {
    return this.peers.get(socket) ?? socket.remoteAddress ?? '';
  }

  /** Encrypted on the way from the client: TLS to us, or a trusted proxy's X-Forwarded-Proto. */
  private isSecure(req: IncomingMessage): boolean {
    return httpRequestEncrypted(
      { tls: (req.socket as Partial<TLSSocket>).encrypted === true, peer: this.peerOf(req.socket), forwardedProto: req.headers['x-forwarded-proto'] },
      this.trustedProxies,
    );
  }

  /** Public base URL: the configured prefix, else what the client used to reach us. */
  private baseUrl(req: IncomingMessage): string {
    if (this.options.urlPrefix) return this.options.urlPrefix;
    return `${this.isSecure(req) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  }

  private log(): Logger {
    return this.options.logger;
  }

  private async authenticate(req: IncomingMessage, res: ServerResponse, session: string): Promise<Principal | undefined> {
    const decision = await authenticateRequest(
      this.options.strategies,
      { headers: req.headers, peer: this.peerOf(req.socket), secure: this.isSecure(req), session },
      this.isRevoked,
    );
    if (decision.ok) return decision.principal;
    const headers: Record<string, string | string[]> = {};
    if (decision.status === 401 && decision.challenges.length > 0) headers['WWW-Authenticate'] = decision.challenges;
    if (decision.status === 429 || decision.status === 503) headers['Retry-After'] = '30';
    sendProblem(res, plainProblem(decision.status, decision.failure.message), headers);
    return undefined;
  }

  private readonly isRevoked = (principal: Principal): Promise<boolean> => this.options.sessions.isRevoked(principal);

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.busy.add(req.socket);
    res.on('close', () => this.busy.delete(req.socket));
    // Browser clients on other origins may call us; credentials are never implied (no cookies).
    res.setHeader('Access-Control-Allow-Origin', '*');
    // The request's log correlation id (its login's audit line carries it); shown to the client so a
    // support request can name the log lines.
    const session = newSessionId();
    res.setHeader('X-Request-Id', session);
    try {
      await this.route(req, res, session);
    } catch (err) {
      if (err instanceof RequestProblem) {
        if (!res.headersSent) sendProblem(res, err.toJSON());
        return;
      }
      this.log().error({ err, url: req.url, session }, 'JMAP HTTP request failed');
      if (!res.headersSent) sendProblem(res, plainProblem(500, 'internal server error'));
      else res.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, session: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
        'Access-Control-Max-Age': '86400',
      });
      res.end();
      return;
    }
    const extra = this.options.routes.find((r) => r.path === path);
    if (extra) {
      if (method !== extra.method) {
        req.resume();
        sendProblem(res, plainProblem(405, `use ${extra.method}`), { Allow: extra.method });
        return;
      }
      await extra.handle(req, res);
      return;
    }
    if (path === PATHS.wellKnown) {
      res.writeHead(307, { Location: PATHS.session, 'Content-Length': 0 });
      res.end();
      return;
    }
    const known =
      path === PATHS.session || path === PATHS.api || path === PATHS.eventSource ||
      path.startsWith(PATHS.upload) || path.startsWith(PATHS.download);
    if (!known) {
      sendProblem(res, plainProblem(404, 'not found'));
      return;
    }
    const expected = path === PATHS.api || path.startsWith(PATHS.upload) ? 'POST' : 'GET';
    if (method !== expected) {
      sendProblem(res, plainProblem(405, `use ${expected}`), { Allow: expected });
      return;
    }
    const principal = await this.authenticate(req, res, session);
    if (principal === undefined) {
      req.resume();
      return;
    }
    if (path === PATHS.session) sendJson(res, 200, await this.options.backend.session(principal, this.baseUrl(req)));
    else if (path === PATHS.api) await this.api(req, res, principal);
    else if (path === PATHS.eventSource) await this.eventSource(req, res, url, principal);
    else if (path.startsWith(PATHS.upload)) await this.upload(req, res, path, principal);
    else await this.download(res, path, url, principal);
  }

  /** EventSource: admitted to session control before the stream opens, so a revoked token gets 401. */
  private async eventSource(req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal): Promise<void> {
    const channel = await this.admitChannel(req, principal);
    if (!channel) {
      sendProblem(res, plainProblem(401, 'session revoked'));
      return;
    }
    if (req.socket.destroyed) {
      // The client left while the check ran: its close event has already fired.
      channel.release();
      return;
    }
    res.on('close', () => channel.release());
    serveEventSource(req, res, url, principal, this.options.backend, (close) => channel.attach(close));
    // A refused stream (bad parameters) never attaches.
    if (res.writableEnded) channel.release();
  }

  private admitChannel(req: IncomingMessage, principal: Principal): Promise<PushChannel | undefined> {
    return this.channels.admit(principal, this.peerOf(req.socket));
  }

  private async api(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const release = this.apiGate.tryEnter(principal.user);
    if (release === undefined) {
      req.resume();
      throw new RequestProblem('limit', 400, `at most ${this.options.limits.maxConcurrentRequests} concurrent requests`, 'maxConcurrentRequests');
    }
    try {
      if (!isJsonMediaType(req.headers['content-type'])) {
        // RFC 8620 §3.6.1 notJSON: "The content type of the request was not application/json ...".
        req.resume();
        throw new RequestProblem('notJSON', 400, 'The request must have Content-Type application/json.');
      }
      let body: Buffer;
      try {
        body = await readBody(req, this.options.limits.maxSizeRequest);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          throw new RequestProblem('limit', 400, 'The request is larger than the server is willing to process.', 'maxSizeRequest');
        }
        throw err;
      }
      const request = toJmapRequest(parseJsonBody(body, this.options.limits.maxJsonDepth));
      sendJson(res, 200, await this.options.backend.api(request, principal));
    } finally {
      release();
    }
  }

  private async upload(req: IncomingMessage, res: ServerResponse, path: string, principal: Principal): Promise<void> {
    const accountId = decodeURIComponent(path.slice(PATHS.upload.length).replace(/\/$/, ''));
    if (accountId === '' || accountId.includes('/')) {
      req.resume();
      sendProblem(res, plainProblem(404, 'upload URL is /upload/{accountId}'));
      return;
    }
    const release = this.uploadGate.tryEnter(principal.user);
    if (release === undefined) {
      req.resume();
      throw new RequestProblem('limit', 400, `at most ${this.options.limits.maxConcurrentUpload} concurrent uploads`, 'maxConcurrentUpload');
    }
    // The body goes to a spool file as it arrives; the store takes the file by rename.
    const message = this.options.spool.message(this.options.limits.maxSizeUpload);
    try {
      let bytes: SpooledMessage;
      try {
        bytes = await spoolBody(req, message);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          throw new RequestProblem('limit', 400, `uploads are limited to ${this.options.limits.maxSizeUpload} bytes`, 'maxSizeUpload');
        }
        throw err;
      }
      const type = (req.headers['content-type'] ?? 'application/octet-stream').trim() || 'application/octet-stream';
      try {
        sendJson(res, 201, await this.options.backend.upload(principal, accountId, type, bytes));
      } catch (err) {
        if (err instanceof AccountAccessError) sendProblem(res, plainProblem(404, 'no such account'));
        else throw err;
      }
    } finally {
      release();
      await message.discard().catch((err: unknown) => this.log().warn({ err, file: message.path }, 'could not remove a spool file'));
    }
  }

  private async download(res: ServerResponse, path: string, url: URL, principal: Principal): Promise<void> {
    const parts = path.slice(PATHS.download.length).split('/');
    if (parts.length !== 3 || parts.some((p) => p === '')) {
      sendProblem(res, plainProblem(404, 'download URL is /download/{accountId}/{blobId}/{name}'));
      return;
    }
    const [accountId, blobId, name] = parts.map((p) => decodeURIComponent(p)) as [string, string, string];
    const type = url.searchParams.get('type') ?? 'application/octet-stream';
    try {
      const blob = await this.options.backend.download(principal, accountId, blobId);
      // The name is the client's; quote it per RFC 6266 with an RFC 5987 UTF-8 form as well.
      const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
      res.writeHead(200, {
        'Content-Type': /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;.*)?$/.test(type) ? type : 'application/octet-stream',
        'Content-Length': blob.source.size,
        'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        'Cache-Control': 'private, immutable, max-age=31536000',
        'X-Content-Type-Options': 'nosniff',
      });
      try {
        await streamBody(res, blob.source);
      } catch (err) {
        // Headers are gone: the connection was cut (streamBody), nothing else can be answered.
        if (!isClientGone(err)) this.log().warn({ err, blobId }, 'download cut short');
      }
    } catch (err) {
      if (err instanceof AccountAccessError || err instanceof BlobNotFoundError) sendProblem(res, plainProblem(404, 'blob not found'));
      else throw err;
    }
  }

  private async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // One id for the WebSocket's lines, from its login to its close.
    const session = newSessionId();
    const reject = (status: number, text: string, extra = ''): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== PATHS.websocket) return reject(404, 'Not Found');
    try {
      const decision = await authenticateRequest(
        this.options.strategies,
        { headers: req.headers, peer: this.peerOf(req.socket), secure: this.isSecure(req), session },
        this.isRevoked,
      );
      if (!decision.ok) {
        const challenges = decision.challenges.map((c) => `WWW-Authenticate: ${c}\r\n`).join('');
        return reject(decision.status, decision.status === 401 ? 'Unauthorized' : 'Refused', decision.status === 401 ? challenges : '');
      }
      const principal = decision.principal;
      const channel = await this.admitChannel(req, principal);
      if (!channel) return reject(401, 'Unauthorized');
      if (socket.destroyed) return channel.release();
      // Covers an upgrade that never completes as well as the WebSocket's own close.
      socket.once('close', () => channel.release());
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        // 1008 (policy violation) tells the client this was not a network failure.
        channel.attach((reason) => ws.close(reason === SHUTDOWN_REASON ? 1001 : 1008, reason.slice(0, 120)));
        serveWebSocket(ws, principal, this.options.backend, this.options.limits, this.log().child({ session }));
      });
    } catch (err) {
      this.log().error({ err }, 'JMAP WebSocket upgrade failed');
      reject(500, 'Internal Server Error');
    }
  }
}

/** The client closed the connection before the body was sent: not the server's problem. */
function isClientGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}
