// An in-memory UsersRepository for auth tests. `unavailable = true` simulates an LDAP/database outage
// (a fault a real repository cannot be made to produce on demand).
import {
  UnknownUserError,
  UserExistsError,
  UsersRepositoryUnavailableError,
  type UserRecord,
  type UsersRepository,
} from '../../src/auth/users/types.js';

export class MemoryUsersRepository implements UsersRepository {
  readonly readOnly = false;
  readonly virtualHosting = true;
  /** When true, every call throws UsersRepositoryUnavailableError. */
  unavailable = false;
  /** Calls made to lookup/verifyPassword (tests check caching). */
  calls = 0;
  private readonly users = new Map<string, { username: string; password: string }>();

  constructor(users: Record<string, string> = {}) {
    for (const [name, password] of Object.entries(users)) this.users.set(name.toLowerCase(), { username: name, password });
  }

  async lookup(username: string): Promise<UserRecord | undefined> {
    this.check();
    const user = this.users.get(username.toLowerCase());
    return user ? { username: user.username } : undefined;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    this.check();
    return this.users.get(username.toLowerCase())?.password === password;
  }

  async list(): Promise<UserRecord[]> {
    this.check();
    return [...this.users.values()].map((u) => ({ username: u.username }));
  }

  async add(username: string, password: string): Promise<void> {
    this.check();
    if (this.users.has(username.toLowerCase())) throw new UserExistsError(username);
    this.users.set(username.toLowerCase(), { username, password });
  }

  async remove(username: string): Promise<void> {
    this.check();
    if (!this.users.delete(username.toLowerCase())) throw new UnknownUserError(username);
  }

  async setPassword(username: string, password: string): Promise<void> {
    this.check();
    const user = this.users.get(username.toLowerCase());
    if (!user) throw new UnknownUserError(username);
    user.password = password;
  }

  async close(): Promise<void> {}

  private check(): void {
    this.calls += 1;
    if (this.unavailable) throw new UsersRepositoryUnavailableError('memory repository set unavailable');
  }
}
