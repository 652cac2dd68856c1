// Argument readers shared by every method: each checks one argument's type and answers
// invalidArguments naming it, so handlers read typed values and never trust the wire.
import { MethodError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext } from '../core/types.js';
import type { JmapAccount } from '../account-id.js';
import { isUtcDate } from '../core/schema.js';
import { CAP_MAIL } from '../capabilities.js';

export function invalid(why: string): MethodError {
  return new MethodError('invalidArguments', why);
}

/** What a shared account offers (RFC 9670 §2: the owner's mail, within the granted rights). */
const SHARED_ACCOUNT_CAPABILITIES: ReadonlySet<string> = new Set([CAP_MAIL]);

/**
 * The account the call addresses, by its opaque id (see ../account-id.ts): the caller's own, or
 * another user's that shares mailboxes with the caller (mail methods only; anything else on it is
 * accountNotSupportedByMethod). Answers name it by `id`; the store knows it by `name`, and checks the
 * rights again on every access, so a revocation since the request began still refuses.
 */
export function readAccount(args: JsonObject, ctx: MethodContext, name = 'accountId'): JmapAccount {
  const id = args[name];
  if (typeof id !== 'string') throw invalid(`"${name}" must be a string`);
  const from = name === 'fromAccountId';
  if (id === ctx.account.id) return ctx.account;
  const shared = ctx.shared.get(id);
  if (shared === undefined) throw new MethodError(from ? 'fromAccountNotFound' : 'accountNotFound');
  if (!SHARED_ACCOUNT_CAPABILITIES.has(ctx.capability)) throw new MethodError(from ? 'fromAccountNotSupportedByMethod' : 'accountNotSupportedByMethod');
  return { id: shared.id, name: shared.name };
}

export function optString(args: JsonObject, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`"${name}" must be a string`);
  return v;
}

export function optBool(args: JsonObject, name: string, dflt: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw invalid(`"${name}" must be a boolean`);
  return v;
}

export function optInt(args: JsonObject, name: string, opts: { min?: number } = {}): number | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`"${name}" must be an integer`);
  if (opts.min !== undefined && v < opts.min) throw invalid(`"${name}" must be at least ${opts.min}`);
  return v;
}

export function optObject(args: JsonObject, name: string): JsonObject | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (!isJsonObject(v)) throw invalid(`"${name}" must be an object`);
  return v;
}

/** Resolves "#creationId" to the id created earlier in this request; other ids pass through. */
export function resolveId(id: string, ctx: MethodContext): string | undefined {
  if (!id.startsWith('#')) return id;
  return ctx.createdIds.get(id.slice(1));
}

/** `ids` argument: null (all) or a list of ids (creation references resolved), at most `max`. */
export function readIds(args: JsonObject, ctx: MethodContext, max: number, name = 'ids'): string[] | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw invalid(`"${name}" must be a list of ids`);
  if (v.length > max) throw new MethodError('requestTooLarge', `at most ${max} ids per call`);
  return v.map((id) => resolveId(id, ctx) ?? id);
}

export function readStringList(args: JsonObject, name: string): string[] | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw invalid(`"${name}" must be a list of strings`);
  return v;
}

/** `properties`: null = defaults; unknown names are invalidArguments; `id` is always returned. */
export function readProperties(args: JsonObject, name: string, known: (p: string) => boolean, defaults: readonly string[]): string[] {
  const list = readStringList(args, name);
  if (list === undefined) return [...defaults];
  for (const p of list) if (!known(p)) throw invalid(`unknown property "${p}" in "${name}"`);
  return list;
}

/** Copies `properties` of a full object (plus id) into the response object. */
export function pick(obj: Record<string, Json>, properties: readonly string[]): JsonObject {
  const out: JsonObject = { id: obj.id ?? null };
  for (const p of properties) if (p in obj) out[p] = obj[p] as Json;
  return out;
}

export function utcDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A UTCDate argument (RFC 8620 §1.4: "Z", no other offset), or undefined when absent or null. */
export function parseUtcDate(v: Json | undefined, name: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isUtcDate(v)) throw invalid(`"${name}" must be a UTCDate (RFC 3339, in UTC with "Z")`);
  return new Date(v);
}

/** No lone surrogate: JSON can spell one ("\ud800") but UTF-8 cannot hold it (it would become U+FFFD). */
export function isWellFormedUnicode(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}
