// JSON over HTTP to the identity provider, with a timeout. Network errors, timeouts and 5xx become
// ProviderUnavailableError so callers can tell an outage from a refusal.
import { ProviderResponseError, ProviderUnavailableError } from './errors.js';
import { providerRequestsSeconds } from '../metrics.js';

/** What a request to the provider is for, the `kind` label of its latency metric. */
export type ProviderRequestKind = 'discovery' | 'jwks' | 'introspection' | 'userinfo';

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface HttpOptions {
  fetch: FetchFunction;
  timeoutMs: number;
  /** Counts each request made (benchmarks and tests read it). */
  onRequest?: (url: string) => void;
}

/** Largest provider response read (discovery, JWKS, introspection). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export async function requestJson(
  kind: ProviderRequestKind,
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  options: HttpOptions,
): Promise<JsonResponse> {
  const done = providerRequestsSeconds.startTimer({ kind });
  try {
    const answer = await send(url, init, options);
    done({ outcome: 'ok' });
    return answer;
  } catch (err) {
    done({ outcome: 'error' });
    throw err;
  }
}

async function send(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  options: HttpOptions,
): Promise<JsonResponse> {
  options.onRequest?.(url);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...init.headers },
      body: init.body,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new ProviderUnavailableError(`${safeUrl(url)} unreachable`, { cause: err });
  }
  if (response.status >= 500) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProviderUnavailableError(`${safeUrl(url)} answered ${response.status}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new ProviderUnavailableError(`${safeUrl(url)} response interrupted`, { cause: err });
  }
  if (text.length > MAX_RESPONSE_BYTES) throw new ProviderResponseError(`${safeUrl(url)} response too large`);
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ProviderResponseError(`${safeUrl(url)} did not answer JSON (status ${response.status})`);
  }
  return { status: response.status, body };
}

/** A URL without query or credentials, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
