// Accounts: one per canonical user name (= JMAP accountId), created with its special-use mailboxes.

export interface Account {
  /** = user name = JMAP accountId. */
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
