// position / anchor / anchorOffset / limit over an in-memory result list (RFC 8620 §5.5), for the
// queries small enough to compute here (Mailbox/query, Quota/query).
import { MethodError } from '../errors.js';
import type { JsonObject } from '../core/types.js';
import { invalid, optInt, optString } from './args.js';

export interface Window {
  ids: string[];
  position: number;
}

export function applyWindow(all: readonly string[], args: JsonObject): Window {
  const limit = optInt(args, 'limit', { min: 0 });
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
  if (limit !== undefined && limit < 0) throw invalid('"limit" must not be negative');
  const end = limit === undefined ? all.length : Math.min(all.length, start + limit);
  return { ids: all.slice(start, Math.max(start, end)), position: Math.min(start, all.length) };
}
