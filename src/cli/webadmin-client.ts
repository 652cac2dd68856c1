// The `user` and `domain` commands go through a running server's WebAdmin API when
// webadmin.properties enables it and something answers there, so what they do is logged and checked
// by the server like any other administration; without a server they work on users.sqlite directly.
// The administrator token comes from $TESSERA_WEBADMIN_TOKEN, or the file $TESSERA_WEBADMIN_TOKEN_FILE.
import { readFile } from 'node:fs/promises';
import { loadWebAdminConfig } from '../config/load.js';
import type { CliIO } from './types.js';

/** How long the probe waits for a server before the command works on the database itself. */
const PROBE_TIMEOUT_MS = 2000;

export class WebAdminRequestError extends Error {
  override readonly name = 'WebAdminRequestError';
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export class WebAdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (this.token) headers['Authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (res.status === 401 || res.status === 403) {
      throw new WebAdminRequestError(
        `WebAdmin at ${this.baseUrl} refused the request (${res.status}: ${messageOf(parsed)}); set TESSERA_WEBADMIN_TOKEN (or TESSERA_WEBADMIN_TOKEN_FILE) to an administrator token`,
      );
    }
    return { status: res.status, body: parsed };
  }

  /** An answer the command did not expect, as one line naming the server's own words. */
  unexpected(what: string, answer: ApiAnswer): WebAdminRequestError {
    return new WebAdminRequestError(`${what} through WebAdmin at ${this.baseUrl} failed (${answer.status}): ${messageOf(answer.body)}`);
  }
}

export function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : 'no details';
}

async function tokenFrom(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env['TESSERA_WEBADMIN_TOKEN']) return env['TESSERA_WEBADMIN_TOKEN'].trim();
  const file = env['TESSERA_WEBADMIN_TOKEN_FILE'];
  return file ? (await readFile(file, 'utf8')).trim() : undefined;
}

/** The running server's WebAdmin, or undefined when it is not enabled or nothing answers. */
export async function findWebAdmin(confDir: string, io: CliIO): Promise<WebAdminClient | undefined> {
  const { config } = await loadWebAdminConfig(confDir);
  if (!config.enabled) return undefined;
  const host = config.bind.host === '0.0.0.0' ? '127.0.0.1' : config.bind.host === '::' ? '::1' : config.bind.host;
  const base = `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.bind.port}`;
  try {
    // The API description is served without a token: it tells a server from nothing at all.
    const res = await fetch(`${base}/openapi.json`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) return undefined;
  } catch {
    return undefined;
  }
  return new WebAdminClient(base, await tokenFrom(io.env));
}
