// X-User (an API gateway such as Krakend or APISIX authenticates and names the user in a header).
// The header is an identity claim anyone can type, so it is believed only with a matching shared
// secret in X-User-Secret (James' authentication.strategy.rfc8621.xUser.secret, a comma list) and/or
// from a configured proxy address, whichever are set; otherwise it is ignored and the attempt logged,
// and the request falls through to the other strategies, as in James.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import type { JmapConfig } from '../../config/types.js';
import type { UsersRepository } from '../../auth/users/types.js';
import { UsersRepositoryUnavailableError } from '../../auth/users/types.js';
import { CidrList } from '../../net/cidr.js';
import { headerValue, type AuthStrategy, type HttpAuthRequest, type StrategyOutcome } from './types.js';

export class XUserMisconfiguredError extends Error {
  override readonly name = 'XUserMisconfiguredError';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class XUserStrategy implements AuthStrategy {
  readonly name = 'xuser';
  /** Undefined: any peer, as long as it presents a secret. */
  private readonly proxies: CidrList | undefined;
  private readonly secretDigests: Buffer[];
  private readonly headerName: string;
  /** Last warning time per peer: a client repeating the header must not flood the log. */
  private readonly warned = new Map<string, number>();

  constructor(
    config: JmapConfig['xUser'],
    private readonly users: Pick<UsersRepository, 'lookup'>,
    private readonly logger: Logger,
    source: string,
  ) {
    // With neither a secret nor a proxy list anyone could claim any user: James only warns, Tessera
    // refuses (the configuration loader already did, naming the key).
    if (config.trustedProxies.length === 0 && config.secrets.length === 0) {
      throw new XUserMisconfiguredError(
        `${source}: X-User authentication needs authentication.strategy.rfc8621.xUser.secret (the X-User-Secret ` +
          `your gateway sends) and/or authentication.strategy.rfc8621.xUser.trustedProxies (its addresses); ` +
          `without either, anyone could claim any user`,
      );
    }
    this.proxies = config.trustedProxies.length > 0 ? new CidrList(config.trustedProxies) : undefined;
    this.secretDigests = config.secrets.map(digest);
    this.headerName = config.headerName.toLowerCase();
  }

  challenge(): string {
    return `${this.headerName.replace(/(^|-)([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase())} realm="tessera"`;
  }

  private secretMatches(presented: string | undefined): boolean {
    if (this.secretDigests.length === 0) return true;
    if (presented === undefined) return false;
    // Compare digests so the comparison time depends neither on content nor on length.
    const d = digest(presented);
    let ok = false;
    for (const s of this.secretDigests) ok = timingSafeEqual(s, d) || ok;
    return ok;
  }

  private warn(peer: string, message: string): void {
    const now = Date.now();
    const last = this.warned.get(peer);
    if (last !== undefined && now - last < 60_000) return;
    if (this.warned.size > 10_000) this.warned.clear();
    this.warned.set(peer, now);
    this.logger.warn({ peer, header: this.headerName }, message);
  }

  async authenticate(req: HttpAuthRequest): Promise<StrategyOutcome> {
    const claimed = headerValue(req, this.headerName);
    if (claimed === undefined) return { kind: 'notApplicable' };
    if (this.proxies && !this.proxies.contains(req.peer)) {
      this.warn(req.peer, 'JMAP identity header from an untrusted peer ignored');
      return { kind: 'notApplicable' };
    }
    if (!this.secretMatches(headerValue(req, 'x-user-secret'))) {
      this.warn(req.peer, 'JMAP identity header with a wrong or missing X-User-Secret ignored');
      return { kind: 'notApplicable' };
    }
    try {
      const record = await this.users.lookup(claimed.trim());
      if (record === undefined) return { kind: 'refused', failure: { code: 'invalid', message: 'unknown user' } };
      return { kind: 'accepted', principal: { user: record.username, mechanism: 'XUSER' } };
    } catch (err) {
      if (err instanceof UsersRepositoryUnavailableError) {
        return { kind: 'refused', failure: { code: 'temporary', message: 'users repository unavailable' } };
      }
      throw err;
    }
  }
}
