// Quota: usage counts each email once, limits come from the store's defaults or a per-account override.

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

/** Where an account's limits come from: its own override (each value null when not set) and the defaults. */
export interface QuotaLimitSources {
  override: QuotaLimits | null;
  defaults: QuotaLimits;
}

export interface QuotaStore {
  getQuota(account: string): Promise<QuotaUsage>;
  /** The override and the defaults behind getQuota's limits (WebAdmin shows them apart, as James). */
  getQuotaLimits(account: string): Promise<QuotaLimitSources>;
  /** Per-account override of the default limits; null removes the override. */
  setQuota(account: string, limits: QuotaLimits | null): Promise<void>;
}
