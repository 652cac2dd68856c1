// An in-memory UsersRepository for auth tests. It keeps the users repository contract
// (src/auth/users/contract.ts) exactly as the embedded SQLite one does — canonical lowercase names,
// the same name and password rules, a domain list with virtual hosting — so a test cannot pass on
// behaviour no real repository has. `unavailable = true` simulates an LDAP/database outage (a fault a
// real repository cannot be made to produce on demand).
import { canonicalDomain, parseExistingUserName, parseUserName, parseUserNameOrUndefined } from '../../src/auth/users/names.js';
import { UnknownDomainError } from '../../src/auth/users/errors.js';
import { checkNewPassword } from '../../src/auth/users/password-rules.js';
import { parseGroupName } from '../../src/auth/users/group-names.js';
import {
  UnknownUserError,
  UserExistsError,
  UsersRepositoryUnavailableError,
  type UserRecord,
  type UsersRepository,
} from '../../src/auth/users/types.js';

export interface MemoryUsersOptions {
  /** User names carry a domain (default true, as in every test that logs in). */
  virtualHosting?: boolean;
  /** With virtual hosting: the domain list users must belong to. Omitted: any well-formed domain. */
  domains?: readonly string[];
}

export class MemoryUsersRepository implements UsersRepository {
  readonly readOnly = false;
  readonly virtualHosting: boolean;
  /** When true, every call throws UsersRepositoryUnavailableError. */
  unavailable = false;
  /** Calls made to lookup/verifyPassword (tests check caching). */
  calls = 0;
  private readonly domains: ReadonlySet<string> | undefined;
  /** Canonical name → password. */
  private readonly users = new Map<string, string>();
  /** Canonical name → its groups (canonical names). */
  private readonly groups = new Map<string, string[]>();

  /** `users`: name → password; names are canonicalised, and must fit the options as added users do. */
  constructor(users: Record<string, string> = {}, options: MemoryUsersOptions = {}) {
    this.virtualHosting = options.virtualHosting ?? true;
    this.domains = options.domains ? new Set(options.domains.map(canonicalDomain)) : undefined;
    for (const [name, password] of Object.entries(users)) this.insert(name, password);
  }

  async lookup(username: string): Promise<UserRecord | undefined> {
    this.check();
    const name = parseUserNameOrUndefined(username, this.virtualHosting)?.username;
    return name !== undefined && this.users.has(name) ? { username: name } : undefined;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    this.check();
    const name = parseUserNameOrUndefined(username, this.virtualHosting)?.username;
    return name !== undefined && this.users.get(name) === password;
  }

  async list(): Promise<UserRecord[]> {
    this.check();
    return [...this.users.keys()].sort().map((username) => ({ username }));
  }

  async groupsOf(username: string): Promise<string[]> {
    this.check();
    const name = parseUserNameOrUndefined(username, this.virtualHosting)?.username;
    return name === undefined ? [] : [...(this.groups.get(name) ?? [])];
  }

  /** Puts an existing user in exactly these groups (tests of "$group" ACLs). */
  setGroups(username: string, groups: readonly string[]): void {
    const { username: name } = parseExistingUserName(username, this.virtualHosting);
    if (!this.users.has(name)) throw new UnknownUserError(`user ${name} does not exist`);
    this.groups.set(name, [...new Set(groups.map(parseGroupName))].sort());
  }

  async add(username: string, password: string): Promise<void> {
    this.check();
    this.insert(username, password);
  }

  async remove(username: string): Promise<void> {
    this.check();
    const { username: name } = parseExistingUserName(username, this.virtualHosting);
    if (!this.users.delete(name)) throw new UnknownUserError(`user ${name} does not exist`);
    this.groups.delete(name);
  }

  async setPassword(username: string, password: string): Promise<void> {
    this.check();
    const { username: name } = parseExistingUserName(username, this.virtualHosting);
    checkNewPassword(password);
    if (!this.users.has(name)) throw new UnknownUserError(`user ${name} does not exist`);
    this.users.set(name, password);
  }

  async close(): Promise<void> {}

  private insert(username: string, password: string): void {
    const parsed = parseUserName(username, this.virtualHosting);
    checkNewPassword(password);
    if (parsed.domain !== undefined && this.domains && !this.domains.has(parsed.domain)) {
      throw new UnknownDomainError(`domain ${parsed.domain} is not in the domain list`);
    }
    if (this.users.has(parsed.username)) throw new UserExistsError(`user ${parsed.username} already exists`);
    this.users.set(parsed.username, password);
  }

  private check(): void {
    this.calls += 1;
    if (this.unavailable) throw new UsersRepositoryUnavailableError('memory repository set unavailable');
  }
}
