// The embedded users repository (James' default users repository): users with scrypt password hashes
// in Tessera's own database — users.sqlite on one node, PostgreSQL when several nodes share it. Written
// by the CLI and WebAdmin, read by the server, nothing cached but verified passwords keyed by their
// stored hash, so a change made on any node applies at the next login everywhere.
import type { EmbeddedUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { UnknownUserError, UserExistsError, type UserRecord, type UsersRepository } from './types.js';
import { UnknownDomainError } from './errors.js';
import { checkNewPassword } from './password-rules.js';
import { parseExistingUserName, parseUserName, parseUserNameOrUndefined } from './names.js';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPasswordHash } from './password-hash.js';
import { VerifiedPasswords } from './verified-passwords.js';
import type { GroupTable, UserTable } from './tables.js';

export class EmbeddedUsersRepository implements UsersRepository {
  readonly readOnly = false;
  readonly virtualHosting: boolean;

  constructor(
    private readonly table: UserTable,
    private readonly groups: GroupTable,
    config: EmbeddedUsersConfig,
    private readonly logger: Logger,
    private readonly closeTable: () => Promise<void>,
    private readonly verified: VerifiedPasswords = new VerifiedPasswords(),
  ) {
    this.virtualHosting = config.enableVirtualHosting;
  }

  async lookup(username: string): Promise<UserRecord | undefined> {
    const parsed = parseUserNameOrUndefined(username, this.virtualHosting);
    if (!parsed) return undefined;
    return (await this.table.exists(parsed.username)) ? { username: parsed.username } : undefined;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    const parsed = parseUserNameOrUndefined(username, this.virtualHosting);
    const stored = parsed ? await this.table.hashOf(parsed.username) : undefined;
    if (!parsed || stored === undefined) {
      await burnPasswordCheck(password);
      return false;
    }
    if (this.verified.has(parsed.username, stored, password)) return true;
    const ok = await this.verified.shared(parsed.username, stored, password, () => verifyPasswordHash(password, stored));
    if (!ok) return false;
    if (needsRehash(stored)) await this.rehash(parsed.username, password, stored);
    else this.verified.remember(parsed.username, stored, password);
    return true;
  }

  /** Upgrades a hash made with older, cheaper parameters while the clear password is at hand. */
  private async rehash(username: string, password: string, old: string): Promise<void> {
    try {
      await this.table.updateHash(username, await hashPassword(password), new Date().toISOString(), old);
    } catch (err) {
      this.logger.warn({ user: username, err }, 'could not upgrade the password hash');
    }
  }

  async list(): Promise<UserRecord[]> {
    return (await this.table.list()).map((username) => ({ username }));
  }

  async groupsOf(username: string): Promise<string[]> {
    const parsed = parseUserNameOrUndefined(username, this.virtualHosting);
    return parsed ? this.groups.groupsOf(parsed.username) : [];
  }

  async firstCreated(): Promise<UserRecord | undefined> {
    const username = await this.table.firstCreated();
    return username !== undefined ? { username } : undefined;
  }

  async add(username: string, password: string): Promise<void> {
    const parsed = parseUserName(username, this.virtualHosting);
    checkNewPassword(password);
    const hash = await hashPassword(password);
    const outcome = await this.table.insert({ username: parsed.username, domain: parsed.domain, hash, at: new Date().toISOString() });
    if (outcome === 'unknown-domain') {
      throw new UnknownDomainError(`domain ${parsed.domain} is not in the domain list; add it first with: tessera domain add ${parsed.domain}`);
    }
    if (outcome === 'exists') throw new UserExistsError(`user ${parsed.username} already exists`);
    this.logger.info({ user: parsed.username }, 'user added');
  }

  async remove(username: string): Promise<void> {
    const parsed = parseExistingUserName(username, this.virtualHosting);
    if (!(await this.table.delete(parsed.username))) throw new UnknownUserError(`user ${parsed.username} does not exist`);
    this.logger.info({ user: parsed.username }, 'user removed');
  }

  async setPassword(username: string, password: string): Promise<void> {
    const parsed = parseExistingUserName(username, this.virtualHosting);
    checkNewPassword(password);
    const hash = await hashPassword(password);
    if (!(await this.table.updateHash(parsed.username, hash, new Date().toISOString()))) {
      throw new UnknownUserError(`user ${parsed.username} does not exist`);
    }
    this.logger.info({ user: parsed.username }, 'password changed');
  }

  /** Users whose form does not match the virtual-hosting setting: they can no longer log in. */
  countMismatchedUsers(): Promise<number> {
    return this.table.countByDomainPresence(!this.virtualHosting);
  }

  close(): Promise<void> {
    return this.closeTable();
  }
}
