// Recipient routing: a local domain (domain list) means a local user, looked up in the users
// repository; anything else is remote. Lookup failures are reported as temporary, never as "unknown".
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { RecipientLookupUnavailableError, type RecipientRoute } from '../core/delivery.js';

export class RecipientRouter {
  constructor(
    private readonly users: UsersRepository,
    private readonly domains: DomainList,
    /** Who receives postmaster mail when no postmaster user exists (default postmaster@<default domain>). */
    private readonly postmaster?: string,
  ) {}

  async route(address: string): Promise<RecipientRoute> {
    const at = address.lastIndexOf('@');
    // RFC 5321 §4.5.1: `<postmaster>` without a domain must be accepted.
    if (at < 0 && address.toLowerCase() === 'postmaster') return this.postmasterRoute(address);
    if (at <= 0) return { kind: 'unknown', address };
    const rawLocal = address.slice(0, at);
    const domain = address.slice(at + 1).toLowerCase();
    const local = rawLocal.startsWith('"') ? rawLocal.slice(1, -1).replace(/\\(.)/g, '$1') : rawLocal;
    if (domain.startsWith('[')) return { kind: 'remote', address, domain };
    let isLocal: boolean;
    try {
      isLocal = await this.domains.contains(domain);
    } catch (err) {
      throw new RecipientLookupUnavailableError('domain list unavailable', { cause: err });
    }
    if (!isLocal) return { kind: 'remote', address, domain };
    const name = this.users.virtualHosting ? `${local}@${domain}` : local;
    let record;
    try {
      record = await this.users.lookup(name);
    } catch (err) {
      throw new RecipientLookupUnavailableError('users repository unavailable', { cause: err });
    }
    if (!record) return local.toLowerCase() === 'postmaster' ? this.postmasterRoute(address) : { kind: 'unknown', address };
    return { kind: 'local', address: `${local}@${domain}`, user: record.username };
  }

  /** postmaster@ every local domain reaches one configured mailbox (RFC 5321 §4.5.1). */
  private async postmasterRoute(address: string): Promise<RecipientRoute> {
    const target = this.postmaster ?? `postmaster@${this.domains.defaultDomain}`;
    let record;
    try {
      record = await this.users.lookup(this.users.virtualHosting || !target.includes('@') ? target : target.slice(0, target.indexOf('@')));
    } catch (err) {
      throw new RecipientLookupUnavailableError('users repository unavailable', { cause: err });
    }
    return record ? { kind: 'local', address, user: record.username } : { kind: 'unknown', address };
  }
}
