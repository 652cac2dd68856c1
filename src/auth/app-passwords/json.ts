// One JSON shape for an app password as administration tools show it (`tessera app-password list
// --json`, WebAdmin's /users/{u}/app-passwords): never the secret; absent dates are null. The CLI
// reads WebAdmin's answers back with appPasswordFromJson, so both ends agree on one definition.
import { isAppPasswordScope, type AppPasswordRecord } from './types.js';

/** A type alias, not an interface: it must stay assignable to plain JSON values. */
export type AppPasswordJson = {
  id: string;
  user: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
};

export function appPasswordToJson(r: AppPasswordRecord): AppPasswordJson {
  return {
    id: r.id,
    user: r.user,
    name: r.name,
    scopes: [...r.scopes],
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: r.lastUsedIp ?? null,
  };
}

/** The record back from its JSON (an answer of a running server); undefined when it is not one. */
export function appPasswordFromJson(value: unknown): AppPasswordRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<Record<keyof AppPasswordJson, unknown>>;
  if (typeof v.id !== 'string' || typeof v.user !== 'string' || typeof v.name !== 'string' || typeof v.createdAt !== 'string') return undefined;
  if (!Array.isArray(v.scopes) || !v.scopes.every((s): s is string => typeof s === 'string' && isAppPasswordScope(s))) return undefined;
  const date = (d: unknown): Date | undefined => (typeof d === 'string' && !Number.isNaN(Date.parse(d)) ? new Date(d) : undefined);
  const createdAt = date(v.createdAt);
  if (!createdAt) return undefined;
  const expiresAt = date(v.expiresAt);
  const lastUsedAt = date(v.lastUsedAt);
  return {
    id: v.id,
    user: v.user,
    name: v.name,
    scopes: v.scopes.filter(isAppPasswordScope),
    createdAt,
    ...(expiresAt ? { expiresAt } : {}),
    ...(lastUsedAt ? { lastUsedAt } : {}),
    ...(typeof v.lastUsedIp === 'string' ? { lastUsedIp: v.lastUsedIp } : {}),
  };
}
