// Recipient routing: a local domain (domain list) means a local user, looked up in the users
// repository; anything else is remote. Lookup failures are reported as temporary, never as "unknown".
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { RecipientLookupUnavailableError, type RecipientRoute } from './types.js';

export class RecipientRouter {
  constructor(
    private readonly users: UsersRepository,
    private readonly domains: DomainList,
  ) {}

  async route(address: string): Promise<RecipientRoute> {
    const at = address.lastIndexOf('@');
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
    if (!record) return { kind: 'unknown', address };
    return { kind: 'local', address: `${local}@${domain}`, user: record.username };
  }
}
