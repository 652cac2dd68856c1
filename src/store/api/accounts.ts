// Accounts: one per canonical user name (JMAP names it by an opaque id derived from that name,
// src/jmap/account-id.ts), created with its special-use mailboxes.

export interface Account {
  /** = the canonical user name (JMAP derives its opaque accountId from it). */
  id: string;
  createdAt: Date;
}

export interface AccountStore {
  /** Creates the account and its special-use mailboxes on first call; idempotent and race-free. */
  ensureAccount(account: string): Promise<Account>;
  getAccount(account: string): Promise<Account | null>;
  /** Removes the account, all its mail, settings and uploads. */
  deleteAccount(account: string): Promise<void>;
}
