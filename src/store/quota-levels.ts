// James' quota rule, shared by both engines: per resource (storage, messages) the account's own
// limit applies if it has one, else its domain's, else the server's, else the store's default.
// A level's limit of 0 means unlimited and still decides (a user may be unlimited in a limited
// domain); null means the level sets nothing. Pure: the engines read the rows, this resolves them.
import type { QuotaLevel, QuotaLimits, QuotaLimitSources } from './api/quota.js';
import { InvalidArgumentError } from './errors.js';

export const UNSET: QuotaLevel = Object.freeze({ storage: null, messages: null });

/** A stored row (null when absent) as a level. */
export const levelOf = (row: { storage: number | null; messages: number | null } | undefined | null): QuotaLevel =>
  row ? { storage: row.storage === null ? null : Number(row.storage), messages: row.messages === null ? null : Number(row.messages) } : { ...UNSET };

/** The key of the server's own row in quota_scope; a domain's row is keyed by its (lower-case) name. */
export const GLOBAL_SCOPE = '';

/** The domain whose quota applies to an account: the part after its last '@', none without one. */
export function quotaDomain(account: string): string | null {
  const at = account.lastIndexOf('@');
  return at < 0 || at === account.length - 1 ? null : account.slice(at + 1).toLowerCase();
}

export function scopeKey(domain: string | null): string {
  if (domain === null) return GLOBAL_SCOPE;
  const key = domain.toLowerCase();
  if (key === GLOBAL_SCOPE) throw new InvalidArgumentError('a quota domain must not be empty');
  return key;
}

export function checkLevel(limits: QuotaLevel | null): void {
  for (const v of [limits?.storage ?? null, limits?.messages ?? null]) {
    if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw new InvalidArgumentError('quota limits must be integers >= 0');
  }
}

export function resolveQuota(user: QuotaLevel, domain: QuotaLevel, global: QuotaLevel, defaults: QuotaLimits): QuotaLimitSources {
  const pick = (r: keyof QuotaLimits): number => user[r] ?? domain[r] ?? global[r] ?? defaults[r];
  return { user, domain, global, defaults: { ...defaults }, computed: { storage: pick('storage'), messages: pick('messages') } };
}
