// One POST to a push endpoint (RFC 8030 §5, as RFC 8620 §7.2 asks: Content-Type application/json,
// a TTL header, the body encrypted when the subscription has keys). Connects to the address the
// target check approved (see target.ts), bounds the time it waits, reads no response body, and
// reports what the status means for the subscription; it never throws.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolvePushTarget, parsePushUrl, PushTargetError, type PushTargetPolicy } from './target.js';

export type SendOutcome =
  | { kind: 'delivered' }
  /** 404/410: the push subscription no longer exists at the push service (RFC 8030 §7.3). */
  | { kind: 'gone'; status: number }
  /** 429 and 5xx, network errors and timeouts: worth another try later. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Any other refusal (other 4xx, a URL the policy now refuses): this message is dropped. */
  | { kind: 'failed'; reason: string };

export interface PushMessage {
  body: Buffer;
  /** Set when the body is encrypted (RFC 8291 §4: Content-Encoding aes128gcm). */
  encrypted: boolean;
  /** RFC 8030 §5.2, seconds the push service may keep the message. */
  ttlSeconds: number;
  /** RFC 8030 §5.3. */
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

export interface SendOptions {
  policy: PushTargetPolicy;
  /** Whole exchange, connection included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
function retryAfter(res: IncomingMessage): number | undefined {
  const raw = res.headers['retry-after'];
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function classify(res: IncomingMessage): SendOutcome {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 404 || status === 410) return { kind: 'gone', status };
  const after = retryAfter(res);
  if (status === 429 || status >= 500) return { kind: 'retry', reason: `HTTP ${status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  return { kind: 'failed', reason: `HTTP ${status}` };
}

export async function sendPush(rawUrl: string, message: PushMessage, options: SendOptions): Promise<SendOutcome> {
  let url: URL;
  let lookupPinned: LookupFunction;
  try {
    url = parsePushUrl(rawUrl, options.policy);
    const target = await resolvePushTarget(url, options.policy);
    lookupPinned = (_host, opts, cb) => {
      // Node asks with all=true for happy-eyeballs connects; answer in the form asked for.
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
      else cb(null, target.address, target.family);
    };
  } catch (err) {
    if (err instanceof PushTargetError) return err.kind === 'forbidden' ? { kind: 'failed', reason: err.message } : { kind: 'retry', reason: err.message };
    return { kind: 'retry', reason: String(err) };
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(message.body.length),
    TTL: String(message.ttlSeconds),
  };
  if (message.encrypted) headers['Content-Encoding'] = 'aes128gcm';
  if (message.urgency) headers.Urgency = message.urgency;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const req = request(url, { method: 'POST', headers, lookup: lookupPinned, agent: false }, (res) => {
      // The body says nothing we act on: drain it so the socket can close.
      res.resume();
      res.on('error', () => undefined);
      finish(classify(res));
      req.destroy();
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ kind: 'retry', reason: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    timer.unref();
    const onAbort = (): void => {
      req.destroy();
      finish({ kind: 'failed', reason: 'stopped' });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish({ kind: 'retry', reason: err.message }));
    req.end(message.body);
  });
}
