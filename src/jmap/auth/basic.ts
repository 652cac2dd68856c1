// HTTP Basic (RFC 7617) against the users repository through the auth core, which applies the
// plain-auth switch, TLS requirement, throttling and audit the same way IMAP and SMTP do, so this
// strategy only parses the header. JMAP clients send Basic credentials on every request and the
// embedded repository hashes with scrypt, so successful checks are remembered briefly (keyed by a
// digest of the credentials, never the password itself); a revocation for the user forgets them.
import { createHash } from 'node:crypto';
import type { AuthConfig } from '../../config/types.js';
import type { Principal } from '../../auth/types.js';
import { headerValue, type AuthStrategy, type HttpAuthRequest, type JmapAuthenticator, type StrategyOutcome } from './types.js';

export interface BasicCacheSettings {
  /** How long a verified user/password pair is trusted without asking the repository again. */
  ttlMs: number;
  maxEntries: number;
}

const DEFAULT_CACHE: BasicCacheSettings = { ttlMs: 60_000, maxEntries: 10_000 };

export class BasicStrategy implements AuthStrategy {
  readonly name = 'basic';
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly authenticator: JmapAuthenticator,
    private readonly auth: AuthConfig,
    private readonly cache: BasicCacheSettings = DEFAULT_CACHE,
    private readonly now: () => number = Date.now,
  ) {}

  challenge(): string | undefined {
    return this.auth.plainAuthEnabled ? 'Basic realm="tessera", charset="UTF-8"' : undefined;
  }

  /** Drops remembered logins of a user (password change, revocation). */
  forgetUser(user: string): void {
    const lower = user.toLowerCase();
    for (const [k, v] of this.verified) if (v.principal.user.toLowerCase() === lower) this.verified.delete(k);
  }

  async authenticate(req: HttpAuthRequest): Promise<StrategyOutcome> {
    const header = headerValue(req, 'authorization');
    const m = header === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(header);
    if (m === null) return { kind: 'notApplicable' };
    const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { kind: 'refused', failure: { code: 'malformed', message: 'malformed Basic credentials' } };
    // Policy (plain auth off, TLS required) depends on the connection, so only secure-equal reuse.
    const key = createHash('sha256').update(`${req.secure ? 1 : 0}\0${decoded}`).digest('base64');
    const hit = this.verified.get(key);
    if (hit !== undefined && hit.until > this.now()) return { kind: 'accepted', principal: hit.principal };
    const result = await this.authenticator.loginWithPassword(decoded.slice(0, colon), decoded.slice(colon + 1), {
      protocol: 'jmap',
      auth: this.auth,
      secure: req.secure,
      peer: req.peer,
    });
    if (!result.ok) {
      this.verified.delete(key);
      return { kind: 'refused', failure: result.failure };
    }
    if (this.verified.size >= this.cache.maxEntries) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(key, { principal: result.principal, until: this.now() + this.cache.ttlMs });
    return { kind: 'accepted', principal: result.principal };
  }
}
