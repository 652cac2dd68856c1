// The domain list (James' domainlist.xml + DomainListManagement), kept in users.sqlite. Domains named
// in domainlist.xml are ensured at every start; the CLI adds and removes the others.
import type { DomainListConfig } from '../../config/types.js';
import type { DomainList } from './types.js';
import { withDatabase, type UsersDatabase } from './database.js';
import { DomainExistsError, DomainInUseError, UnknownDomainError } from './errors.js';
import { canonicalDomain } from './names.js';

export class SqliteDomainList implements DomainList {
  readonly defaultDomain: string;
  private readonly configured: Set<string>;
  /** autodetect/autodetectIP results: local while the server runs, never stored (as in James). */
  private readonly detected: Set<string>;

  constructor(
    private readonly db: UsersDatabase,
    config: DomainListConfig,
  ) {
    this.defaultDomain = canonicalDomain(config.defaultDomain);
    this.configured = new Set([...config.domainnames.map(canonicalDomain), this.defaultDomain]);
    this.detected = new Set((config.detected ?? []).map((d) => d.toLowerCase()));
  }

  async list(): Promise<string[]> {
    const stored = withDatabase(this.db, () =>
      (this.db.prepare('SELECT name FROM domains ORDER BY name').all() as { name: string }[]).map((r) => r.name),
    );
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
    return withDatabase(this.db, () => this.db.prepare('SELECT 1 FROM domains WHERE name = ?').get(name) !== undefined);
  }

  async add(domain: string): Promise<void> {
    const name = canonicalDomain(domain);
    const inserted = withDatabase(this.db, () =>
      this.db.prepare('INSERT OR IGNORE INTO domains (name, created_at) VALUES (?, ?)').run(name, new Date().toISOString()),
    );
    if (inserted.changes === 0) throw new DomainExistsError(`domain ${name} already exists`);
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
    withDatabase(this.db, () =>
      this.db
        .transaction(() => {
          if (this.db.prepare('SELECT 1 FROM domains WHERE name = ?').get(name) === undefined) {
            throw new UnknownDomainError(`domain ${name} does not exist`);
          }
          const { n } = this.db.prepare('SELECT count(*) AS n FROM users WHERE domain = ?').get(name) as { n: number };
          if (n > 0) {
            throw new DomainInUseError(
              `domain ${name} still has ${n} user${n === 1 ? '' : 's'}; remove ${n === 1 ? 'it' : 'them'} first (tessera user list)`,
            );
          }
          this.db.prepare('DELETE FROM domains WHERE name = ?').run(name);
        })
        .immediate(),
    );
  }

  /** Adds the domains of domainlist.xml that are missing; returns the ones it added. */
  async ensureConfigured(): Promise<string[]> {
    const now = new Date().toISOString();
    return withDatabase(this.db, () =>
      this.db
        .transaction(() => {
          const insert = this.db.prepare('INSERT OR IGNORE INTO domains (name, created_at) VALUES (?, ?)');
          return [...this.configured].filter((name) => insert.run(name, now).changes > 0);
        })
        .immediate(),
    );
  }
}
