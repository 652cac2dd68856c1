// Validation shared by the recipient rewrite routes (/address/aliases, /address/forwards,
// /domains/{d}/aliases): canonical addresses and domains, answered in James' status codes.
import { InvalidDomainNameError } from '../auth/users/errors.js';
import { canonicalDomain, parseUserName } from '../auth/users/names.js';
import { InvalidUserNameError } from '../auth/users/types.js';
import type { WebAdminDeps } from './deps.js';
import { invalid, notFound } from './types.js';

/** The canonical (lower-case) form of a mail address; 400 when it is not one. */
export function addressParam(raw: string): string {
  try {
    return parseUserName(raw, true).username;
  } catch (err) {
    if (err instanceof InvalidUserNameError || err instanceof InvalidDomainNameError) throw invalid(`${raw} is not a valid mail address`);
    throw err;
  }
}

/** The canonical form of a domain name; 400 when it is not one. */
export function domainParam(raw: string): string {
  try {
    return canonicalDomain(raw);
  } catch (err) {
    if (err instanceof InvalidDomainNameError) throw invalid(err.message);
    throw err;
  }
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** 404 unless the address names an existing user of a served domain (the user name drops the domain without virtual hosting). */
export async function requireLocalUser({ users, domains }: WebAdminDeps, address: string): Promise<void> {
  if (!(await domains.contains(domainOf(address)))) throw notFound(`domain ${domainOf(address)} is not served`);
  const name = users.virtualHosting ? address : address.slice(0, address.lastIndexOf('@'));
  if (!(await users.lookup(name))) throw notFound(`user ${address} does not exist`);
}

/** Whether the address is an existing user (an alias must not hide one). */
export async function isLocalUser(deps: WebAdminDeps, address: string): Promise<boolean> {
  try {
    await requireLocalUser(deps, address);
    return true;
  } catch {
    return false;
  }
}
