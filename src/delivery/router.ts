// Recipient routing: a local domain (domain list) means a local user, looked up in the users
// repository; anything else is remote. Lookup failures are reported as temporary, never as "unknown".
//
// Subaddresses (RFC 5233): `alice+tag@example.org` reaches alice when no user has that exact name,
// as in James (which strips the detail after "+"); the route keeps the detail. Postmaster (RFC 5321
// §4.5.1): `<postmaster>` and postmaster@ every local domain reach the configured postmaster.
//
// The recipient rewrite table (James' RRT) comes first: an alias or forward of the address expands
// into its targets, each routed again, up to MAX_REWRITE_DEPTH levels; an address met again on the
// same path (a cycle) or beyond that depth is not rewritten further but delivered as itself, so a
// forward loop ends in a mailbox instead of circling. An alias domain reads as its target domain.
import type { RecipientRewriteTable, RewriteKind } from '../auth/rewrite/types.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { RecipientLookupUnavailableError, type LocalRoute, type RecipientRoute, type RemoteRoute } from '../core/delivery.js';
import { splitSubaddress } from '../mime/subaddress.js';
import type { Logger } from '../log/logger.js';

/** How many rewrites deep an address may expand (James' recipientrewritetable mappingLimit default). */
export const MAX_REWRITE_DEPTH = 10;
/** How many destinations one address may expand to: bounds the work a fan-out of forwards costs. */
export const MAX_REWRITE_TARGETS = 100;

export class RecipientRouter {
  constructor(
    private readonly users: UsersRepository,
    private readonly domains: DomainList,
    /** Who receives postmaster mail when no postmaster user exists (default postmaster@<default domain>). */
    private readonly postmaster?: string,
    private readonly logger?: Logger,
    private readonly rewrites?: RecipientRewriteTable,
  ) {}

  async route(address: string): Promise<RecipientRoute> {
    const key = await this.rewriteKey(address);
    const targets = key === undefined ? [] : await this.mappingsOf(key);
    if (key === undefined || targets.length === 0) return this.direct(address);
    const leaves: (LocalRoute | RemoteRoute)[] = [];
    await this.expand(targets, 1, new Set([key]), leaves);
    const unique = leaves.filter((leaf, i) => leaves.findIndex((other) => sameDestination(leaf, other)) === i);
    // Local copies keep the address written (Delivered-To, LMTP's per-recipient reply); remote ones
    // carry the forwarding address for the outcome.
    const routed = unique.map((leaf) => (leaf.kind === 'local' ? { ...leaf, address } : { ...leaf, forwardedFor: address }));
    if (routed.length === 0) return { kind: 'unknown', address };
    if (routed.length === 1 && routed[0]!.kind === 'local') return routed[0]!;
    return { kind: 'forward', address, targets: routed };
  }

  /** Routes each target, expanding its own mappings; unknown local targets are dropped (logged). */
  private async expand(targets: readonly string[], depth: number, path: ReadonlySet<string>, out: (LocalRoute | RemoteRoute)[]): Promise<void> {
    for (const target of targets) {
      if (out.length >= MAX_REWRITE_TARGETS) {
        this.logger?.warn({ target, limit: MAX_REWRITE_TARGETS }, 'recipient rewrite: too many destinations, the rest dropped');
        return;
      }
      const key = await this.rewriteKey(target);
      const mapped = key === undefined ? [] : await this.mappingsOf(key);
      if (mapped.length > 0 && key !== undefined) {
        if (!path.has(key) && depth < MAX_REWRITE_DEPTH) {
          await this.expand(mapped, depth + 1, new Set([...path, key]), out);
          continue;
        }
        this.logger?.warn({ target, depth }, 'recipient rewrite: loop or depth limit, delivering to the address itself');
      }
      const route = await this.direct(target);
      if (route.kind === 'local' || route.kind === 'remote') out.push(route);
      else this.logger?.warn({ target }, 'recipient rewrite: unknown local destination dropped');
    }
  }

  /** Aliases and forwards of an address together: both name where its mail goes. */
  private async mappingsOf(key: string): Promise<string[]> {
    const [aliases, forwards] = await Promise.all([this.lookupRewrite('alias', key), this.lookupRewrite('forward', key)]);
    return [...aliases, ...forwards];
  }

  /** The table's form of an address: lower case, an alias domain replaced by its target; undefined when not an address. */
  private async rewriteKey(address: string): Promise<string | undefined> {
    if (!this.rewrites) return undefined;
    const at = address.lastIndexOf('@');
    if (at <= 0 || address.startsWith('"')) return undefined;
    const local = address.slice(0, at).toLowerCase();
    const domain = address.slice(at + 1).toLowerCase();
    const [target] = await this.lookupRewrite('domainAlias', domain);
    return `${local}@${target ?? domain}`;
  }

  private async lookupRewrite(kind: RewriteKind, source: string): Promise<string[]> {
    try {
      return (await this.rewrites?.targetsOf(kind, source)) ?? [];
    } catch (err) {
      throw new RecipientLookupUnavailableError('recipient rewrite table unavailable', { cause: err });
    }
  }

  /** Where the address leads without aliases or forwards (an alias domain still reads as its target). */
  private async direct(address: string, viaDomainAlias = false): Promise<RecipientRoute> {
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
    if (!isLocal) {
      // One hop only: the target of a domain alias is a served domain, never another alias.
      const [target] = viaDomainAlias ? [] : await this.lookupRewrite('domainAlias', domain);
      if (target === undefined) return { kind: 'remote', address, domain };
      const route = await this.direct(`${rawLocal}@${target}`, true);
      return route.kind === 'remote' || route.kind === 'forward' ? route : { ...route, address };
    }
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

function sameDestination(a: LocalRoute | RemoteRoute, b: LocalRoute | RemoteRoute): boolean {
  if (a.kind === 'local' && b.kind === 'local') return a.user === b.user && a.detail === b.detail;
  return a.kind === 'remote' && b.kind === 'remote' && a.address.toLowerCase() === b.address.toLowerCase();
}
