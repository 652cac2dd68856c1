// Recipient routing: a local domain (domain list) means a local user, looked up in the users
// repository; anything else is remote. Lookup failures are reported as temporary, never as "unknown".
//
// Subaddresses (RFC 5233): `alice+tag@example.org` reaches alice when no user has that exact name,
// as in James (which strips the detail after "+"); the route keeps the detail. Postmaster (RFC 5321
// §4.5.1): `<postmaster>` and postmaster@ every local domain reach the configured postmaster.
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { RecipientLookupUnavailableError, type RecipientRoute } from '../core/delivery.js';
import { splitSubaddress } from '../mime/subaddress.js';
import type { Logger } from '../log/logger.js';

export class RecipientRouter {
  constructor(
    private readonly users: UsersRepository,
    private readonly domains: DomainList,
    /** Who receives postmaster mail when no postmaster user exists (default postmaster@<default domain>). */
    private readonly postmaster?: string,
    private readonly logger?: Logger,
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
    // The exact name first, so a user whose name holds a "+" keeps their mail.
    const exact = await this.lookup(local, domain);
    if (exact) return { kind: 'local', address: `${local}@${domain}`, user: exact };
    const { user: base, detail } = splitSubaddress(local);
    if (detail !== undefined) {
      const owner = await this.lookup(base, domain);
      if (owner) return { kind: 'local', address: `${local}@${domain}`, user: owner, detail };
    }
    if (base.toLowerCase() === 'postmaster') {
      const route = await this.postmasterRoute(address);
      return route.kind === 'local' && detail !== undefined ? { ...route, detail } : route;
    }
    return { kind: 'unknown', address };
  }

  /** The canonical user `local@domain` names (the local part alone without virtual hosting). */
  private async lookup(local: string, domain: string): Promise<string | undefined> {
    const name = this.users.virtualHosting ? `${local}@${domain}` : local;
    try {
      return (await this.users.lookup(name))?.username;
    } catch (err) {
      throw new RecipientLookupUnavailableError('users repository unavailable', { cause: err });
    }
  }

  /**
   * postmaster@ every local domain reaches one mailbox (RFC 5321 §4.5.1): the configured postmaster;
   * when that user does not exist, the user the repository created first (the administrator's
   * account, or the demo user), so the mail reaches a person rather than being refused.
   */
  private async postmasterRoute(address: string): Promise<RecipientRoute> {
    const target = this.postmaster ?? `postmaster@${this.domains.defaultDomain}`;
    try {
      const record = await this.users.lookup(this.users.virtualHosting || !target.includes('@') ? target : target.slice(0, target.indexOf('@')));
      if (record) return { kind: 'local', address, user: record.username };
      const first = await this.users.firstCreated?.();
      if (!first) return { kind: 'unknown', address };
      this.logger?.info(
        { postmaster: target, user: first.username },
        'no postmaster user: postmaster mail goes to the first user (set postmaster in tessera.properties to choose)',
      );
      return { kind: 'local', address, user: first.username };
    } catch (err) {
      throw new RecipientLookupUnavailableError('users repository unavailable', { cause: err });
    }
  }
}
