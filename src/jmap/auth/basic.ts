// HTTP Basic (RFC 7617) against the users repository through the auth core, which applies the
// plain-auth switch, TLS requirement, throttling and audit the same way IMAP and SMTP do, so this
// strategy only parses the header. JMAP clients send Basic credentials on every request; the
// embedded repository remembers verified passwords itself (src/auth/users/verified-passwords.ts),
// keyed to the stored hash, so a password change or removal takes effect on the next request.
import type { AuthConfig } from '../../config/types.js';
import { headerValue, type AuthStrategy, type HttpAuthRequest, type JmapAuthenticator, type StrategyOutcome } from './types.js';

export class BasicStrategy implements AuthStrategy {
  readonly name = 'basic';

  constructor(
    private readonly authenticator: JmapAuthenticator,
    private readonly auth: AuthConfig,
  ) {}

  challenge(): string | undefined {
    return this.auth.plainAuthEnabled ? 'Basic realm="tessera", charset="UTF-8"' : undefined;
  }

  async authenticate(req: HttpAuthRequest): Promise<StrategyOutcome> {
    const header = headerValue(req, 'authorization');
    const m = header === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(header);
    if (m === null) return { kind: 'notApplicable' };
    const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { kind: 'refused', failure: { code: 'malformed', message: 'malformed Basic credentials' } };
    const result = await this.authenticator.loginWithPassword(decoded.slice(0, colon), decoded.slice(colon + 1), {
      protocol: 'jmap',
      auth: this.auth,
      secure: req.secure,
      peer: req.peer,
      ...(req.session !== undefined ? { session: req.session } : {}),
    });
    return result.ok ? { kind: 'accepted', principal: result.principal } : { kind: 'refused', failure: result.failure };
  }
}
