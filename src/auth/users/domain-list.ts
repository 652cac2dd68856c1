// The domain list (James' domainlist.xml + DomainListManagement), stored beside the users (users.sqlite
// or PostgreSQL). Domains named in domainlist.xml are ensured at every start; the CLI adds and removes
// the others.
import type { DomainListConfig } from '../../config/types.js';
import type { DomainList } from './types.js';
import { DomainExistsError, DomainInUseError, UnknownDomainError } from './errors.js';
import { canonicalDomain } from './names.js';
import type { DomainTable } from './tables.js';

export class EmbeddedDomainList implements DomainList {
  readonly defaultDomain: string;
  private readonly configured: Set<string>;
  /** autodetect/autodetectIP results: local while the server runs, never stored (as in James). */
  private readonly detected: Set<string>;

  constructor(
    private readonly table: DomainTable,
    config: DomainListConfig,
  ) {
    this.defaultDomain = canonicalDomain(config.defaultDomain);
    this.configured = new Set([...config.domainnames.map(canonicalDomain), this.defaultDomain]);
    this.detected = new Set((config.detected ?? []).map((d) => d.toLowerCase()));
  }

  async list(): Promise<string[]> {
    const stored = await this.table.list();
    if (this.detected.size === 0) return stored;
    return [...new Set([...stored, ...this.detected])].sort();
  }

  async contains(domain: string): Promise<boolean> {
    if (this.detected.size > 0) {
      // An address literal ([192.0.2.1], [IPv6:2001:db8::1]) names a detected address as it is.
      const literal = /^\[(?:ipv6:)?(.*)\]$/i.exec(domain.trim());
      const bare = (literal ? literal[1]! : domain.trim().replace(/\.$/, '')).toLowerCase();
      if (this.detected.has(bare)) return true;
    }
    let name: string;
    try {
      name = canonicalDomain(domain);
    } catch {
      return false;
    }
    return this.table.contains(name);
  }

  async add(domain: string): Promise<void> {
    const name = canonicalDomain(domain);
    if (!(await this.table.insert(name, new Date().toISOString()))) throw new DomainExistsError(`domain ${name} already exists`);
  }

  async remove(domain: string): Promise<void> {
    if (this.detected.has(domain.trim().toLowerCase())) {
      throw new DomainInUseError(`domain ${domain} is detected at start-up (domainlist.xml autodetect/autodetectIP); turn those off to stop serving it`);
    }
    const name = canonicalDomain(domain);
    if (this.configured.has(name)) {
      const where = name === this.defaultDomain ? '<defaultDomain>' : '<domainnames>';
      throw new DomainInUseError(
        `domain ${name} is configured in domainlist.xml (${where}) and would come back at the next start; remove it there first`,
      );
    }
    const outcome = await this.table.removeUnused(name);
    if (outcome.kind === 'unknown') throw new UnknownDomainError(`domain ${name} does not exist`);
    if (outcome.kind === 'in-use') {
      const n = outcome.users;
      throw new DomainInUseError(`domain ${name} still has ${n} user${n === 1 ? '' : 's'}; remove ${n === 1 ? 'it' : 'them'} first (tessera user list)`);
    }
  }

  /** Adds the domains of domainlist.xml that are missing; returns the ones it added. */
  ensureConfigured(): Promise<string[]> {
    return this.table.ensure([...this.configured], new Date().toISOString());
  }
}
