// Revoking sessions and refusing revoked tokens. A revocation is written down first (so a restart, or
// a login racing the event, cannot slip past it) and then published on the event bus, from which every
// node's registry ends the matching live sessions. Logins and JMAP requests ask isRevoked() with the
// token's principal. Revocations are kept by the mail store, so every node on a shared store sees them.
import type { Principal } from '../auth/types.js';
import type { EventBus } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import { namesSomething } from './match.js';
import type { RevocationKind, RevocationLookup, RevocationStore } from '../store/revocations.js';
import { EmptyRevocationError, type RevocationRequest, type SessionRevokedMessage } from './types.js';

export interface RevocationServiceOptions {
  store: RevocationStore;
  bus: EventBus;
  logger: Logger;
  now?: () => number;
  /**
   * How long a revocation without a known token expiry is kept (seconds): the longest access-token
   * lifetime expected from the providers. Default 24 h.
   */
  retentionSeconds?: number;
}

/** Why a delegate's session as the owner ended: the grant was taken back (IMAP BYE, SMTP 421 text). */
export const DELEGATION_REVOKED_REASON = 'Delegation revoked';

export const DEFAULT_RETENTION_SECONDS = 24 * 3600;

/** Kept a little past the token's exp: validators accept exp with a clock leeway. */
const EXPIRY_LEEWAY_MS = 5 * 60_000;

export class RevocationService {
  private readonly store: RevocationStore;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly retentionMs: number;

  constructor(options: RevocationServiceOptions) {
    this.store = options.store;
    this.bus = options.bus;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000;
  }

  /** Persists the revocation until the tokens' expiry, then publishes `session-revoked`. */
  async revoke(request: RevocationRequest): Promise<void> {
    if (!namesSomething(request)) throw new EmptyRevocationError();
    const now = this.now();
    const revokedAt = new Date(now);
    const until = Math.max(request.expiresAt?.getTime() ?? now + this.retentionMs, now) + EXPIRY_LEEWAY_MS;
    const expiresAt = new Date(until);
    const issuer = request.issuer ?? '';
    // App password ids belong to no provider: recorded for any issuer, as isRevoked() asks.
    const issuerOf = (kind: RevocationKind): string => (kind === 'credential' ? '' : issuer);
    const entries: Array<[RevocationKind, string | undefined]> = [
      ['sid', request.sid],
      ['jti', request.jti],
      // Sub-only revocations are what a sub-only logout token means; with a sid, sub only describes it.
      ['sub', request.sid ? undefined : request.sub],
      ['user', request.user?.toLowerCase()],
      ['credential', request.credential],
    ];
    for (const [kind, value] of entries) {
      if (value) await this.store.addRevocation({ kind, value, issuer: issuerOf(kind), revokedAt, expiresAt });
    }
    const event: SessionRevokedMessage = { type: 'session-revoked', reason: request.reason };
    if (request.user) event.user = request.user;
    if (request.sid) event.sid = request.sid;
    if (request.jti) event.jti = request.jti;
    if (request.issuer) event.issuer = request.issuer;
    if (request.credential) event.credential = request.credential;
    if (request.sub && !request.sid) event.subject = request.sub;
    this.logger.info(
      { user: request.user, sid: request.sid, jti: request.jti, sub: request.sub, issuer: request.issuer, credential: request.credential, reason: request.reason },
      'sessions revoked',
    );
    await this.bus.publish(event);
  }

  /**
   * Ends, on every node, the sessions in which `actor` acts as `user`: the delegation grant that let
   * them log in was taken back. Nothing is written down: the grant's removal already refuses new
   * delegated logins, and `user`'s own sessions and tokens stay good.
   */
  async endDelegatedSessions(user: string, actor: string, reason: string): Promise<void> {
    this.logger.info({ user, actor, reason }, 'delegated sessions ended');
    await this.bus.publish({ type: 'session-revoked', user, actor, reason });
  }

  /**
   * Whether a token principal may no longer be used: its sid or jti is revoked, or its subject (from
   * that issuer) or user was revoked after the token was issued, or it came in with a revoked app
   * password. Other password principals are never refused here: a new password login is a new session.
   */
  async isRevoked(principal: Principal): Promise<boolean> {
    const issuers = principal.issuer ? [principal.issuer, ''] : [''];
    // Every question in one store query: asked on each token login and JMAP request.
    const exact: RevocationLookup[] = [];
    if (principal.sid) exact.push({ kind: 'sid', value: principal.sid, issuers });
    if (principal.jti) exact.push({ kind: 'jti', value: principal.jti, issuers });
    // A revoked app password: its login raced the revocation (the record is gone for new logins).
    if (principal.credentialId) exact.push({ kind: 'credential', value: principal.credentialId, issuers: [''] });
    // Subject and user revocations hold only against tokens issued before them.
    const dated: RevocationLookup[] = [];
    if (principal.accessToken !== undefined) {
      if (principal.subject) dated.push({ kind: 'sub', value: principal.subject, issuers });
      dated.push({ kind: 'user', value: principal.user.toLowerCase(), issuers: [''] });
    }
    if (exact.length + dated.length === 0) return false;
    const found = await this.store.revokedAtEach([...exact, ...dated], new Date(this.now()));
    if (found.slice(0, exact.length).some((at) => at !== undefined)) return true;
    // The validator took the issue time from the verified token or from introspection (opaque tokens).
    const issuedAt = principal.issuedAt?.getTime();
    return found.slice(exact.length).some(
      // Without an iat the token may predate the revocation: refuse rather than guess.
      (at) => at !== undefined && (issuedAt === undefined || issuedAt <= at.getTime()),
    );
  }

  /** Forgets revocations whose tokens have all expired. */
  purgeExpired(): Promise<number> {
    return this.store.purgeExpiredRevocations(new Date(this.now()));
  }
}
