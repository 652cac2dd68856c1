// What the embedded users repository and domain list need of their storage, one interface each, so
// the rules (name forms, password hashing and rehashing, configured domains) are written once and the
// rows live in users.sqlite on one node or in PostgreSQL for several nodes (storage.engine=postgres).
// Every method may throw UsersRepositoryUnavailableError when the database cannot answer.

/** One user row as the repository stores it: canonical name, its domain (virtual hosting), its hash. */
export interface NewUserRow {
  username: string;
  domain: string | undefined;
  hash: string;
  at: string;
}

export type InsertUserOutcome = 'added' | 'exists' | 'unknown-domain';

export interface UserTable {
  hashOf(username: string): Promise<string | undefined>;
  exists(username: string): Promise<boolean>;
  /** Every user name, sorted. */
  list(): Promise<string[]>;
  /** The user created first (ties broken by insertion order). */
  firstCreated(): Promise<string | undefined>;
  /** Inserts the row unless the user exists or its domain is not in the domain list (atomically). */
  insert(row: NewUserRow): Promise<InsertUserOutcome>;
  /** False when there was no such user. */
  delete(username: string): Promise<boolean>;
  /** Sets the hash; with `onlyIf`, only while the stored hash is still that one. False when no row changed. */
  updateHash(username: string, hash: string, at: string, onlyIf?: string): Promise<boolean>;
  /** Users with a domain (true) or without one (false). */
  countByDomainPresence(withDomain: boolean): Promise<number>;
}

export type RemoveDomainOutcome = { kind: 'removed' } | { kind: 'unknown' } | { kind: 'in-use'; users: number };

export interface DomainTable {
  /** Stored domain names, sorted. */
  list(): Promise<string[]>;
  contains(name: string): Promise<boolean>;
  /** False when it was already there. */
  insert(name: string, at: string): Promise<boolean>;
  /** Removes a domain that no user is in (atomically with the check). */
  removeUnused(name: string): Promise<RemoveDomainOutcome>;
  /** Inserts the missing ones; returns those it inserted. */
  ensure(names: readonly string[], at: string): Promise<string[]>;
}

/** Small persistent flags beside the users (e.g. "demo user created once"). */
export interface MarkerTable {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export type AddMemberOutcome = 'added' | 'already' | 'unknown-user';

/**
 * Group membership of the embedded repository (ACL identifiers "$group"): a group exists while it
 * has members. Names are canonical (group-names.ts, names.ts).
 */
export interface GroupTable {
  /** The groups the user is in, sorted. */
  groupsOf(username: string): Promise<string[]>;
  /** Every group with at least one member, sorted. */
  list(): Promise<string[]>;
  /** The group's members, sorted (none for an unknown group). */
  members(group: string): Promise<string[]>;
  /** Adds an existing user to the group (atomically with the check that the user exists). */
  addMember(group: string, username: string, at: string): Promise<AddMemberOutcome>;
  /** False when the user was not a member. */
  removeMember(group: string, username: string): Promise<boolean>;
  /** Removes every member; how many there were. */
  deleteGroup(group: string): Promise<number>;
}
