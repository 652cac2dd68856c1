// The users repository contract, implemented by the embedded SQLite repository and by LDAP.
// Protocols never see password hashes: they ask `verifyPassword` and `exists`.

export interface UserRecord {
  /** Canonical user name: `local@domain` with virtual hosting, a bare name without. */
  username: string;
}

/** The repository could not answer (LDAP down, database error): logins fail as temporary. */
export class UsersRepositoryUnavailableError extends Error {
  override readonly name = 'UsersRepositoryUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A write was attempted on a read-only repository (LDAP). */
export class ReadOnlyRepositoryError extends Error {
  override readonly name = 'ReadOnlyRepositoryError';
}

export class UserExistsError extends Error {
  override readonly name = 'UserExistsError';
}

export class UnknownUserError extends Error {
  override readonly name = 'UnknownUserError';
}

export class InvalidUserNameError extends Error {
  override readonly name = 'InvalidUserNameError';
}

/** What the protocol sessions ask of the repository to resolve "$group" ACL identifiers. */
export type GroupDirectory = Pick<UsersRepository, 'groupsOf'>;

export interface UsersRepository {
  readonly readOnly: boolean;
  /** Whether virtual hosting is on (user names carry a domain). */
  readonly virtualHosting: boolean;
  /** Canonical name of an existing user (case-folded as the repository does), or undefined. */
  lookup(username: string): Promise<UserRecord | undefined>;
  /** True only for an existing user with that exact password. Throws UsersRepositoryUnavailableError. */
  verifyPassword(username: string, password: string): Promise<boolean>;
  list(): Promise<UserRecord[]>;
  /**
   * The groups the user is in (canonical names, group-names.ts), which ACL identifiers "$group" name:
   * the embedded repository's groups, or for LDAP the group entries whose member attribute holds
   * the user's DN. None for an unknown user. Throws UsersRepositoryUnavailableError.
   */
  groupsOf(username: string): Promise<string[]>;
  /**
   * The user created first, which mail to postmaster reaches when no postmaster user exists (the
   * embedded repository: the account made first, usually its administrator's). Absent where the
   * repository cannot tell (LDAP).
   */
  firstCreated?(): Promise<UserRecord | undefined>;
  add(username: string, password: string): Promise<void>;
  remove(username: string): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  close(): Promise<void>;
}

export interface DomainList {
  list(): Promise<string[]>;
  contains(domain: string): Promise<boolean>;
  add(domain: string): Promise<void>;
  remove(domain: string): Promise<void>;
  readonly defaultDomain: string;
}
