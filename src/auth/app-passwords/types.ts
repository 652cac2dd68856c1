// App passwords: per-device secrets a user creates for clients that cannot do OAuth, each limited to
// some protocols and possibly to a date. They are checked by the auth core beside the users
// repository, so they work for users whose own password lives in LDAP or at the OpenID provider.

/** The protocols an app password may be limited to (RFC-named services, not listener names). */
export const APP_PASSWORD_SCOPES = ['imap', 'smtp', 'pop3', 'managesieve', 'jmap'] as const;
export type AppPasswordScope = (typeof APP_PASSWORD_SCOPES)[number];

/** One app password as stored and listed: never its secret, which is shown once at creation. */
export interface AppPasswordRecord {
  /** Stable, non-secret identifier (also the first characters of the secret). */
  id: string;
  /** Canonical user name in the users repository. */
  user: string;
  /** What the user called it ("Phone", "Thunderbird at home"). */
  name: string;
  /** Protocols it opens; empty = every protocol. */
  scopes: AppPasswordScope[];
  createdAt: Date;
  expiresAt?: Date;
  lastUsedAt?: Date;
  lastUsedIp?: string;
}

/** What creating one needs besides the user. */
export interface NewAppPassword {
  name: string;
  expiresAt?: Date;
  /** Empty or absent = every protocol. */
  scopes?: readonly AppPasswordScope[];
}

/** The result of creating one: the record, and the secret to show the user this once. */
export interface CreatedAppPassword {
  record: AppPasswordRecord;
  secret: string;
}

/** A request the service refuses (bad name, unknown scope, past expiry, too many passwords). */
export class AppPasswordRequestError extends Error {
  override readonly name = 'AppPasswordRequestError';
}

export function isAppPasswordScope(value: string): value is AppPasswordScope {
  return (APP_PASSWORD_SCOPES as readonly string[]).includes(value);
}

/** Parses "imap,smtp" / "imap smtp" (any case); throws AppPasswordRequestError on an unknown name. */
export function parseScopes(text: string): AppPasswordScope[] {
  const names = text.split(/[\s,]+/).map((s) => s.toLowerCase()).filter((s) => s !== '');
  const scopes: AppPasswordScope[] = [];
  for (const n of names) {
    if (!isAppPasswordScope(n)) throw new AppPasswordRequestError(`unknown protocol "${n}"; allowed: ${APP_PASSWORD_SCOPES.join(', ')}`);
    if (!scopes.includes(n)) scopes.push(n);
  }
  return scopes;
}

/** A stored app password with its hash, for the service's eyes only. */
export interface StoredAppPassword {
  record: AppPasswordRecord;
  hash: string;
}

/** Where app passwords are kept: users.sqlite on one node, PostgreSQL when nodes share the users. */
export interface AppPasswordStore {
  insert(record: AppPasswordRecord, hash: string): Promise<void>;
  get(id: string): Promise<StoredAppPassword | undefined>;
  listByUser(user: string): Promise<AppPasswordRecord[]>;
  countByUser(user: string): Promise<number>;
  /** True when a row of that user was deleted. */
  delete(user: string, id: string): Promise<boolean>;
  /** True when a row of that user was renamed. */
  rename(user: string, id: string, name: string): Promise<boolean>;
  markUsed(id: string, at: Date, ip: string): Promise<void>;
}
