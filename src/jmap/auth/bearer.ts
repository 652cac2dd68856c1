// Bearer tokens (RFC 6750): James' JWT and OIDC strategies both end in the auth core's one token
// validator (JWKS, issuer/audience/expiry, introspection, userinfo as configured).
import type { AuthConfig } from '../../config/types.js';
import { headerValue, type AuthStrategy, type HttpAuthRequest, type JmapAuthenticator, type StrategyOutcome } from './types.js';

export class BearerStrategy implements AuthStrategy {
  readonly name = 'bearer';
  constructor(
    private readonly authenticator: JmapAuthenticator,
    private readonly auth: AuthConfig,
  ) {}

  challenge(): string {
    const scope = this.auth.oidc?.scope;
    return scope ? `Bearer realm="tessera", scope="${scope}"` : 'Bearer realm="tessera"';
  }

  async authenticate(req: HttpAuthRequest): Promise<StrategyOutcome> {
    const header = headerValue(req, 'authorization');
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) return { kind: 'notApplicable' };
    const result = await this.authenticator.loginWithBearer(m[1] ?? '', {
      protocol: 'jmap',
      auth: this.auth,
      secure: req.secure,
      peer: req.peer,
      ...(req.session !== undefined ? { session: req.session } : {}),
    });
    return result.ok ? { kind: 'accepted', principal: result.principal } : { kind: 'refused', failure: result.failure };
  }
}
