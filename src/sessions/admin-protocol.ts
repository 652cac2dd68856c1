// The local admin socket's protocol: one JSON object per line each way, a reply for each request.
//   {"op":"list"}                                → {"ok":true,"sessions":[SessionSummary…]}
//   {"op":"revoke","user":"U"} / {"op":"revoke","sid":"S"} / {"op":"revoke","credential":"APP-PASSWORD-ID"}
//   {"op":"revoke","user":"U","actor":"A"}         (only the sessions in which A acts as U: a delegation
//                                                   taken back; nothing is refused from then on)
//                                                  (optional "reason")
//                                                → {"ok":true,"matched":N}   (live sessions on this node;
//                                                   a revoke by user adds "user": its canonical name)
//   anything else                                → {"ok":false,"error":"…"}
import { join } from 'node:path';
import type { SessionSummary } from './types.js';

export const ADMIN_SOCKET_FILE = 'admin.sock';
/** Longest request line read. */
export const MAX_ADMIN_LINE_BYTES = 64 * 1024;

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET_FILE);
}

export type AdminRequest = { op: 'list' } | { op: 'revoke'; user?: string; sid?: string; credential?: string; actor?: string; reason?: string };

export type AdminResponse =
  | { ok: true; sessions: SessionSummary[] }
  | { ok: true; matched: number; user?: string }
  | { ok: false; error: string };

export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
}

export function parseAdminRequest(line: string): AdminRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AdminRequestError('request is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminRequestError('request must be a JSON object');
  const r = value as Record<string, unknown>;
  if (r.op === 'list') return { op: 'list' };
  if (r.op === 'revoke') {
    const text = (k: string): string | undefined => {
      const v = r[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v === '') throw new AdminRequestError(`${k} must be a non-empty string`);
      return v;
    };
    const user = text('user');
    const sid = text('sid');
    const credential = text('credential');
    const reason = text('reason');
    const actor = text('actor');
    if ([user, sid, credential].filter((v) => v !== undefined).length !== 1) {
      throw new AdminRequestError('revoke takes exactly one of user, sid or credential');
    }
    if (actor !== undefined) {
      if (user === undefined) throw new AdminRequestError('actor goes with user');
      return { op: 'revoke', user, actor, reason };
    }
    return credential !== undefined ? { op: 'revoke', credential, reason } : { op: 'revoke', user, sid, reason };
  }
  throw new AdminRequestError(`unknown op ${JSON.stringify(r.op)}`);
}
