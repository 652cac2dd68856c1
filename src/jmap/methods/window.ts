// The shared parts of every Foo/query (RFC 8620 §5.5): the client's limit clamped to the server's
// maximum, position / anchor / anchorOffset / limit over an in-memory result list (for the queries
// small enough to compute here: Mailbox, Quota, EmailSubmission), and the response arguments.
import { MethodError } from '../errors.js';
import type { JsonObject } from '../core/types.js';
import type { JmapAccount } from '../account-id.js';
import { invalid, optBool, optInt, optString } from './args.js';

export interface QueryLimit {
  /** How many ids at most this answer holds. */
  limit: number;
  /** The client asked for more than the server's maximum (or gave no limit): the answer says `limit`. */
  clamped: boolean;
}

/** §5.5: a negative limit is invalidArguments; null or one above `max` is clamped to `max`. */
export function readLimit(args: JsonObject, max: number): QueryLimit {
  const asked = optInt(args, 'limit');
  if (asked !== undefined && asked < 0) throw invalid('"limit" must not be negative');
  return asked === undefined || asked > max ? { limit: max, clamped: true } : { limit: asked, clamped: false };
}

export interface Window {
  ids: string[];
  position: number;
}

export function applyWindow(all: readonly string[], args: JsonObject, limit: QueryLimit): Window {
  const anchor = optString(args, 'anchor');
  let start: number;
  if (anchor !== undefined) {
    const idx = all.indexOf(anchor);
    if (idx < 0) throw new MethodError('anchorNotFound');
    start = Math.max(0, idx + (optInt(args, 'anchorOffset') ?? 0));
  } else {
    const position = optInt(args, 'position') ?? 0;
    start = position < 0 ? Math.max(0, all.length + position) : position;
  }
  const end = Math.min(all.length, start + limit.limit);
  return { ids: all.slice(start, Math.max(start, end)), position: Math.min(start, all.length) };
}

export interface QueryResult extends Window {
  queryState: string;
  canCalculateChanges: boolean;
  /** Every match, counted; sent only when the client asked (calculateTotal). */
  total: number;
}

/** §5.5 response: `total` only when calculateTotal is true, `limit` only when the server cut the client's. */
export function queryResponse(account: JmapAccount, args: JsonObject, limit: QueryLimit, r: QueryResult): JsonObject {
  const out: JsonObject = {
    accountId: account.id,
    queryState: r.queryState,
    canCalculateChanges: r.canCalculateChanges,
    position: r.position,
    ids: r.ids,
  };
  if (optBool(args, 'calculateTotal', false)) out.total = r.total;
  if (limit.clamped) out.limit = limit.limit;
  return out;
}
