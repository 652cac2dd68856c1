// Re-introspection of live token sessions (RFC 7662). A JWT stays valid until its exp even after the
// provider revoked it; where introspection is configured with a `revalidateInterval`, each token
// session is asked about again every interval. A definite "inactive" ends the session (and revokes
// its jti so the token cannot log in again); "unknown" (provider unreachable) keeps it and is logged,
// so an IdP outage does not disconnect every user.
import type { Logger } from '../log/logger.js';
import type { AuthService } from '../auth/service.js';
import type { RevocationService } from './revocation.js';
import type { SessionRegistry } from './registry.js';
import type { LiveSession } from './types.js';

export const INACTIVE_REASON = 'Access token no longer active';

export interface RevalidatorOptions {
  registry: SessionRegistry;
  auth: Pick<AuthService, 'revalidate'>;
  revocations: RevocationService;
  logger: Logger;
  now?: () => number;
  /** How often due sessions are looked for, ms (intervals are whole seconds). Default 1000. */
  tickMs?: number;
}

export class Revalidator {
  private readonly lastChecked = new Map<string, number>();
  private readonly inflight = new Set<string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(private readonly options: RevalidatorOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.pass) this.pass = this.checkDue().finally(() => (this.pass = undefined));
    }, this.options.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  /** One pass: re-checks every session whose interval has elapsed (in parallel). */
  async checkDue(): Promise<void> {
    const now = this.now();
    const sessions = this.options.registry.list();
    const live = new Set(sessions.map((s) => s.id));
    for (const id of this.lastChecked.keys()) if (!live.has(id)) this.lastChecked.delete(id);
    const due = sessions.filter((s) => {
      const interval = intervalMs(s);
      if (interval === undefined || this.inflight.has(s.id)) return false;
      return now - (this.lastChecked.get(s.id) ?? s.startedAt.getTime()) >= interval;
    });
    await Promise.all(due.map((s) => this.check(s)));
  }

  private async check(session: LiveSession): Promise<void> {
    this.inflight.add(session.id);
    try {
      const ctx = { protocol: session.protocol, auth: session.auth!, secure: true, peer: session.peer };
      const verdict = await this.options.auth.revalidate(session.principal, ctx);
      this.lastChecked.set(session.id, this.now());
      if (verdict === 'inactive') await this.end(session);
      else if (verdict === 'unknown') {
        this.options.logger.warn(
          { sessionId: session.id, protocol: session.protocol, user: session.principal.user },
          'could not re-introspect token (provider unreachable?); session kept',
        );
      }
    } catch (err) {
      this.lastChecked.set(session.id, this.now());
      this.options.logger.error({ sessionId: session.id, err: err instanceof Error ? err.message : String(err) }, 're-validation failed; session kept');
    } finally {
      this.inflight.delete(session.id);
    }
  }

  private async end(session: LiveSession): Promise<void> {
    const p = session.principal;
    if (p.jti) {
      try {
        await this.options.revocations.revoke({ jti: p.jti, issuer: p.issuer, expiresAt: p.tokenExpiry, reason: INACTIVE_REASON });
      } catch (err) {
        this.options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not record revocation');
      }
    }
    // Without a jti (opaque tokens) nothing on the bus names the token: end every local session that
    // holds it. With one, this makes the end immediate and does not wait for the bus.
    for (const s of this.options.registry.list()) {
      if (s.principal.accessToken === p.accessToken) this.options.registry.terminate(s.id, INACTIVE_REASON);
    }
  }
}

function intervalMs(session: LiveSession): number | undefined {
  const oidc = session.auth?.oidc;
  if (!session.principal.accessToken || !oidc?.introspection || !(oidc.revalidateInterval > 0)) return undefined;
  return oidc.revalidateInterval * 1000;
}
