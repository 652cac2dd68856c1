// Quota: usage counts each email once; limits come from three levels, as in James: the account's
// own, its domain's, and the server's (set over WebAdmin, else the store's defaults). Per
// resource the first level that sets a limit applies (src/store/quota-levels.ts).

export interface QuotaUsage {
  /** Bytes used / limit (0 = unlimited). */
  storage: { used: number; limit: number };
  /** Emails / limit (0 = unlimited). */
  messages: { used: number; limit: number };
  /**
   * The Quota state (AccountStates.Quota) at which the limits last changed; a later Quota state is a
   * change of usage only. The default limits come from configuration and are taken as unchanged.
   */
  limitsState: string;
}

export interface QuotaLimits {
  /** Bytes, 0 = unlimited. */
  storage: number;
  /** Emails, 0 = unlimited. */
  messages: number;
}

/** The limits one level sets: per resource a limit (0 = unlimited) or null where it sets none. */
export interface QuotaLevel {
  storage: number | null;
  messages: number | null;
}

/** Where an account's (or a domain's) limits come from, level by level, and what applies. */
export interface QuotaLimitSources {
  /** The account's own limits (all null for a domain or the server). */
  user: QuotaLevel;
  /** Its domain's (all null for an account without a domain, and for the server). */
  domain: QuotaLevel;
  /** The server's as set (setScopeQuota(null, …)); null fields take the store's defaults. */
  global: QuotaLevel;
  /** The store's defaults (StoreOptions.quota; unlimited when not given). */
  defaults: QuotaLimits;
  /** What applies, per resource: user, else domain, else global, else the defaults. */
  computed: QuotaLimits;
}

export interface QuotaStore {
  getQuota(account: string): Promise<QuotaUsage>;
  /** The levels behind getQuota's limits (WebAdmin shows them apart, as James). */
  getQuotaLimits(account: string): Promise<QuotaLimitSources>;
  /** The account's own limits; null (or null fields) gives them back to its domain and the server. */
  setQuota(account: string, limits: QuotaLevel | null): Promise<void>;
  /** The limits of a domain (lower case), or of the server with null. */
  getScopeQuota(domain: string | null): Promise<QuotaLimitSources>;
  /**
   * Sets the limits of a domain (for its accounts without their own) or, with null, of the server.
   * Each account they may apply to gets a new Quota state, as setQuota gives one.
   */
  setScopeQuota(domain: string | null, limits: QuotaLevel): Promise<void>;
}
