// What users (CLI, JMAP, later WebAdmin) and the auth core do with app passwords: create one (the
// secret is returned this once and only its hash kept), list, revoke, and check one at login.
// Revoking notifies listeners, through which `tessera serve` ends the live sessions the app password
// opened (session control); the auth core does not know session control.
import { UnknownUserError, type UsersRepository } from '../users/types.js';
import { hashPassword, verifyPasswordHash } from '../users/password-hash.js';
import { generateAppPasswordSecret, parseAppPasswordSecret } from './secret.js';
import {
  AppPasswordRequestError,
  type AppPasswordRecord,
  type AppPasswordScope,
  type AppPasswordStore,
  type CreatedAppPassword,
  type NewAppPassword,
} from './types.js';

/** More would only serve someone filling the database. */
export const MAX_APP_PASSWORDS_PER_USER = 50;
export const MAX_APP_PASSWORD_NAME_LENGTH = 100;

/** The outcome of checking a login password against the app passwords. */
export type AppPasswordVerdict =
  /** Not an app password of this user: the users repository decides. */
  | { kind: 'none' }
  | { kind: 'accepted'; record: AppPasswordRecord }
  /** The user's app password, but not usable here and now; `reason` is for logs. */
  | { kind: 'refused'; reason: string };

export type AppPasswordRevokedListener = (record: AppPasswordRecord) => Promise<void> | void;

export interface AppPasswordServiceOptions {
  store: AppPasswordStore;
  users: Pick<UsersRepository, 'lookup'>;
  now?: () => number;
}

export class AppPasswordService {
  private readonly store: AppPasswordStore;
  private readonly users: Pick<UsersRepository, 'lookup'>;
  private readonly now: () => number;
  private readonly revokedListeners = new Set<AppPasswordRevokedListener>();

  constructor(options: AppPasswordServiceOptions) {
    this.store = options.store;
    this.users = options.users;
    this.now = options.now ?? Date.now;
  }

  /** Creates an app password for an existing user; the returned secret is never available again. */
  async create(user: string, request: NewAppPassword): Promise<CreatedAppPassword> {
    const canonical = await this.canonical(user);
    const name = checkedName(request.name);
    if (request.expiresAt !== undefined && !(request.expiresAt.getTime() > this.now())) {
      throw new AppPasswordRequestError('the expiry must be in the future');
    }
    if ((await this.store.countByUser(canonical)) >= MAX_APP_PASSWORDS_PER_USER) {
      throw new AppPasswordRequestError(`at most ${MAX_APP_PASSWORDS_PER_USER} app passwords per user; revoke one first`);
    }
    const { id, secret } = generateAppPasswordSecret();
    const record: AppPasswordRecord = {
      id,
      user: canonical,
      name,
      scopes: [...new Set(request.scopes ?? [])],
      createdAt: new Date(this.now()),
      ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
    };
    const normalized = parseAppPasswordSecret(secret)!.normalized;
    await this.store.insert(record, await hashPassword(normalized));
    return { record, secret };
  }

  async list(user: string): Promise<AppPasswordRecord[]> {
    return this.store.listByUser(await this.canonical(user));
  }

  /** Gives one of the user's app passwords another name; false when the user has none by that id. */
  async rename(user: string, id: string, name: string): Promise<boolean> {
    return this.store.rename(await this.canonical(user), id, checkedName(name));
  }

  /** Removes one of the user's app passwords and ends its sessions; undefined when it has none by that id. */
  async revoke(user: string, id: string): Promise<AppPasswordRecord | undefined> {
    const canonical = await this.canonical(user);
    const stored = await this.store.get(id);
    if (!stored || stored.record.user !== canonical || !(await this.store.delete(canonical, id))) return undefined;
    for (const listener of this.revokedListeners) await listener(stored.record);
    return stored.record;
  }

  /** Called after each revocation (session control ends the sessions); returns the unsubscribe. */
  onRevoked(listener: AppPasswordRevokedListener): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /**
   * Checks a login password. Only a password of the app-password shape whose id names an app
   * password of this very user is decided here; anything else is left to the users repository.
   * Records the time and address of each accepted use.
   */
  async verify(username: string, password: string, protocol: AppPasswordScope, peer: string): Promise<AppPasswordVerdict> {
    const parsed = parseAppPasswordSecret(password);
    if (!parsed) return { kind: 'none' };
    const stored = await this.store.get(parsed.id);
    if (!stored) return { kind: 'none' };
    // The name as typed may be a local part or differ in case: the repository says who it is, and a
    // user removed from the repository loses their app passwords' use with it.
    const owner = await this.users.lookup(username);
    if (!owner || owner.username !== stored.record.user) return { kind: 'none' };
    if (!(await verifyPasswordHash(parsed.normalized, stored.hash))) return { kind: 'refused', reason: 'wrong app password' };
    const { record } = stored;
    const now = this.now();
    if (record.expiresAt !== undefined && record.expiresAt.getTime() <= now) {
      return { kind: 'refused', reason: `app password ${record.id} expired` };
    }
    if (record.scopes.length > 0 && !record.scopes.includes(protocol)) {
      return { kind: 'refused', reason: `app password ${record.id} is not valid for ${protocol}` };
    }
    await this.store.markUsed(record.id, new Date(now), peer);
    return { kind: 'accepted', record: { ...record, lastUsedAt: new Date(now), lastUsedIp: peer } };
  }

  private async canonical(user: string): Promise<string> {
    const record = await this.users.lookup(user);
    if (!record) throw new UnknownUserError(`no such user: ${user}`);
    return record.username;
  }
}

function checkedName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > MAX_APP_PASSWORD_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new AppPasswordRequestError(`the name must be 1 to ${MAX_APP_PASSWORD_NAME_LENGTH} characters without control characters`);
  }
  return name;
}
