// Who may call WebAdmin. James' admin tokens: a JWT signed RS256 by one of the configured public keys,
// with `admin: true` and the administrator in `sub` (James' `james-cli`/ops tooling mints them). Or,
// when oidc.enabled, a token of the configured OpenID provider whose user is a usersrepository.xml
// administrator. Without either (loopback only, enforced by the config loader) every caller is admin.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { TokenValidator } from '../auth/token/types.js';
import { MAX_TOKEN_BYTES } from '../auth/token/types.js';
import { WebAdminError } from './types.js';

export interface AdminAuthOptions {
  /** PEM public keys of James' JWT admin tokens; empty = JWT off. */
  jwtPublicKeys: readonly string[];
  /** The OpenID provider's validator and the administrator test, when oidc.enabled. */
  oidc?: { validator: TokenValidator; isAdministrator(user: string): boolean };
}

export type AdminVerdict = { ok: true; admin: string } | { ok: false; error: WebAdminError };

const unauthorized = (message: string): AdminVerdict => ({ ok: false, error: new WebAdminError(401, 'Unauthorized', message) });
const forbidden = (message: string): AdminVerdict => ({ ok: false, error: new WebAdminError(403, 'Forbidden', message) });

export class AdminAuthenticator {
  private readonly keys: KeyObject[];

  constructor(private readonly options: AdminAuthOptions) {
    this.keys = options.jwtPublicKeys.map((pem) => createPublicKey(pem));
  }

  get required(): boolean {
    return this.keys.length > 0 || this.options.oidc !== undefined;
  }

  async authenticate(authorization: string | undefined): Promise<AdminVerdict> {
    if (!this.required) return { ok: true, admin: 'anonymous' };
    const m = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    if (!m) return unauthorized('an administrator token is required (Authorization: Bearer …)');
    const token = m[1]!;
    if (token.length > MAX_TOKEN_BYTES) return unauthorized('token too large');
    let signatureChecked = false;
    for (const key of this.keys) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, key, { algorithms: ['RS256'] }));
      } catch {
        continue;
      }
      signatureChecked = true;
      if (payload['admin'] !== true) return forbidden('the token is not an administrator token (no "admin": true claim)');
      if (typeof payload.sub !== 'string' || payload.sub === '') return unauthorized('the token names no subject');
      return { ok: true, admin: payload.sub };
    }
    if (!signatureChecked && this.options.oidc) {
      const verdict = await this.options.oidc.validator.validate(token);
      if (!verdict.ok) {
        if (verdict.code === 'temporary') return { ok: false, error: new WebAdminError(503, 'ServerError', 'the OpenID provider could not be reached') };
        return unauthorized('invalid token');
      }
      if (!this.options.oidc.isAdministrator(verdict.identity.user)) return forbidden(`${verdict.identity.user} is not an administrator`);
      return { ok: true, admin: verdict.identity.user };
    }
    return unauthorized('invalid token');
  }
}
