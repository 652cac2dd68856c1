// A push service for tests (RFC 8030's role in RFC 8620 §7.2): an HTTP server on loopback that
// records every POST (path, headers, body) and answers each path with the statuses queued for it
// (200 when none), or holds a request unanswered to play a slow endpoint.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wakeups } from './wait.js';

export interface ReceivedPush {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class PushEndpoint {
  readonly received: ReceivedPush[] = [];
  private readonly statuses = new Map<string, number[]>();
  private readonly holding = new Set<string>();
  private readonly held: ServerResponse[] = [];
  private readonly wakeups = new Wakeups();
  private server: Server | undefined;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        this.wakeups.wake();
        if (this.holding.has(path)) {
          this.held.push(res);
          return;
        }
        res.statusCode = this.statuses.get(path)?.shift() ?? 201;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The next answers to POSTs on `path`. */
  answer(path: string, ...statuses: number[]): void {
    this.statuses.set(path, [...(this.statuses.get(path) ?? []), ...statuses]);
  }

  /** POSTs on `path` get no answer until close(). */
  hold(path: string): void {
    this.holding.add(path);
  }

  on(path: string): ReceivedPush[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `check` holds, re-checked on every POST received; rejects after `ms`. */
  async until<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
    const value = await this.wakeups.until(check, ms);
    if (value === undefined) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    return value;
  }

  async close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
