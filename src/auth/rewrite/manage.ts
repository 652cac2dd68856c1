// Changing aliases and forwards with the checks James applies, in one place for every way in
// (WebAdmin's /address routes, `tessera alias` and `tessera forward` on the database): canonical
// addresses, an alias in a served domain that hides no user, a forward only from an existing user.
// Refusals are RewriteRequestError, which each caller words in its own protocol (HTTP 400/404, exit 1).
import { InvalidDomainNameError } from '../users/errors.js';
import { parseUserName } from '../users/names.js';
import { InvalidUserNameError, type DomainList, type UsersRepository } from '../users/types.js';
import type { RecipientRewriteTable } from './types.js';

/** `invalid`: the request itself is wrong; `notFound`: it names a user or domain that does not exist. */
export class RewriteRequestError extends Error {
  override readonly name = 'RewriteRequestError';
  constructor(
    readonly reason: 'invalid' | 'notFound',
    message: string,
  ) {
    super(message);
  }
}

/** What the checks read: users and domains, besides the table changed. */
export interface RewriteDirectory {
  users: Pick<UsersRepository, 'lookup' | 'virtualHosting'>;
  domains: Pick<DomainList, 'contains'>;
  rewrites: RecipientRewriteTable;
}

/** The canonical (lower-case) form of a mail address. */
export function canonicalAddress(raw: string): string {
  try {
    return parseUserName(raw, true).username;
  } catch (err) {
    if (err instanceof InvalidUserNameError || err instanceof InvalidDomainNameError) throw new RewriteRequestError('invalid', `${raw} is not a valid mail address`);
    throw err;
  }
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** Refused (notFound) unless the address names an existing user of a served domain (the user name drops the domain without virtual hosting). */
export async function requireLocalUser({ users, domains }: Pick<RewriteDirectory, 'users' | 'domains'>, address: string): Promise<void> {
  if (!(await domains.contains(domainOf(address)))) throw new RewriteRequestError('notFound', `domain ${domainOf(address)} is not served`);
  const name = users.virtualHosting ? address : address.slice(0, address.lastIndexOf('@'));
  if (!(await users.lookup(name))) throw new RewriteRequestError('notFound', `user ${address} does not exist`);
}

/** Whether the address is an existing user (an alias must not hide one). */
export async function isLocalUser(dir: Pick<RewriteDirectory, 'users' | 'domains'>, address: string): Promise<boolean> {
  try {
    await requireLocalUser(dir, address);
    return true;
  } catch (err) {
    if (err instanceof RewriteRequestError) return false;
    throw err;
  }
}

/** Mail to `alias` reaches `user` (idempotent). Both canonical. */
export async function addAlias(dir: RewriteDirectory, user: string, alias: string): Promise<void> {
  if (alias === user) throw new RewriteRequestError('invalid', 'an alias and its user cannot be the same address');
  if (!(await dir.domains.contains(domainOf(alias)))) throw new RewriteRequestError('invalid', `the alias domain ${domainOf(alias)} is not served`);
  if (await isLocalUser(dir, alias)) throw new RewriteRequestError('invalid', `${alias} is a user: an alias cannot hide one`);
  await requireLocalUser(dir, user);
  await dir.rewrites.add('alias', alias, user);
}

/** Mail to `base`, an existing user, also (or instead, unless `base` is among the targets) goes to `destination` (idempotent). Both canonical. */
export async function addForward(dir: RewriteDirectory, base: string, destination: string): Promise<void> {
  await requireLocalUser(dir, base);
  await dir.rewrites.add('forward', base, destination);
}
