// Test identity provider: a real `oidc-provider` on 127.0.0.1 (ephemeral port) issuing RS256 JWT
// access tokens with `aud` = a resource indicator (default urn:tessera:mail), the `email` claim, the
// granted `scope` and the OP session `sid`. Tokens come from a real authorization-code flow run over
// HTTP inside the harness, so they are signed by the provider's real keys.
//
//   import { startTestIdp } from '../support/oidc-provider.js';
//   const idp = await startTestIdp({ users: [{ email: 'alice@example.com' }] });
//   const auth: AuthConfig = { plainAuthEnabled: false, requireSSL: true, oidc: idp.oidcConfig() };
//   const token = await idp.accessToken('alice@example.com');      // string, ready for OAUTHBEARER
//   const { accessToken, sid, jti, expiresAt } = await idp.issueToken('alice@example.com');
//   idp.requestCount('/jwks');          // HTTP requests the provider received on a path
//   await idp.stop(); await idp.start(); // outage and recovery, same port, same sessions and keys
//   await idp.rotateKeys();              // new signing key (old one still published unless dropOld)
//   idp.setClientMetadata({ backchannel_logout_uri: 'http://127.0.0.1:PORT/oidc/backchannel-logout' });
//   await idp.endSession(sid);           // the user signs out at the IdP → back-channel logout POST
//   await idp.close();                   // in an after() hook
//
// `oidcConfig()` points at the discovery document (issuer checked, keys from jwks_uri), claim `email`,
// scope and audience as configured; pass overrides (e.g. { jwksURL: idp.jwksUrl }, introspection).
// `signJwt()` signs arbitrary claims with the provider's current private key, to build tokens the
// provider itself would never issue (expired, wrong audience, no email…).
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import type { OidcConfig } from '../../src/config/types.js';
import { Idp, IDP_CLIENT_ID, type IdpUser } from '../../src/devidp/idp.js';
import type { IssuedToken } from '../../src/devidp/token-flow.js';
import type { SigningKey } from '../../src/devidp/keys.js';

export type { IssuedToken } from '../../src/devidp/token-flow.js';

export interface TestIdpOptions {
  users: IdpUser[];
  /** Resource indicator = access token `aud` (default urn:tessera:mail). */
  audience?: string;
  /** Scopes of the mail resource (default "openid email"). */
  scope?: string;
  accessTokenTtlSeconds?: number;
  /** 'jwt' (default) or 'opaque' (introspection-only tokens, revocable at the provider). */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Opaque tokens for the userinfo endpoint (no audience), checked by introspection and userinfo. */
  userinfoTokens?: boolean;
  /** Extra client metadata, e.g. { backchannel_logout_uri, backchannel_logout_session_required: true }. */
  clientMetadata?: Record<string, unknown>;
}

export const DEFAULT_TEST_AUDIENCE = 'urn:tessera:mail';

export class TestIdp {
  readonly audience: string;
  readonly scope: string;

  constructor(private readonly idp: Idp, audience: string, scope: string) {
    this.audience = audience;
    this.scope = scope;
  }

  get issuer(): string {
    return this.idp.issuer;
  }
  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`;
  }
  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }
  get introspectionUrl(): string {
    return `${this.issuer}/token/introspection`;
  }
  get revocationUrl(): string {
    return `${this.issuer}/token/revocation`;
  }
  get userinfoUrl(): string {
    return `${this.issuer}/me`;
  }
  /** Client id Tessera is registered under at this provider (also the introspection client). */
  get clientId(): string {
    return IDP_CLIENT_ID;
  }
  get clientSecret(): string {
    return this.idp.clientSecret;
  }
  /** Authorization header value for introspection/revocation as the Tessera client. */
  get clientAuthorization(): string {
    return `Basic ${Buffer.from(`${IDP_CLIENT_ID}:${this.idp.clientSecret}`).toString('base64')}`;
  }
  get port(): number {
    return this.idp.port;
  }

  /** An `oidc` block pointing at this provider. */
  oidcConfig(overrides: Partial<OidcConfig> = {}): OidcConfig {
    return {
      oidcConfigurationURL: this.discoveryUrl,
      claim: 'email',
      scope: this.scope,
      aud: [this.audience],
      clientId: IDP_CLIENT_ID,
      revalidateInterval: 0,
      ...overrides,
    };
  }

  async accessToken(email: string, options: { scope?: string } = {}): Promise<string> {
    return (await this.idp.issueToken(email, options)).accessToken;
  }

  issueToken(email: string, options: { scope?: string } = {}): Promise<IssuedToken> {
    return this.idp.issueToken(email, options);
  }

  /** Revokes a token at the provider (opaque tokens then introspect as inactive). */
  async revoke(token: string): Promise<void> {
    const response = await fetch(this.revocationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: this.clientAuthorization },
      body: new URLSearchParams({ token }).toString(),
    });
    if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
  }

  /**
   * Signs `claims` with the provider's current key (header alg RS256 and its kid unless overridden).
   * Defaults: iss = issuer, aud = audience, iat = now, exp = now + 300 s; pass `undefined` to drop one.
   */
  async signJwt(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const key = this.currentKey();
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iss: this.issuer, aud: this.audience, iat: now, exp: now + 300, ...claims };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    const privateKey = await importJWK(key.privateJwk, 'RS256');
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header }).sign(privateKey);
  }

  /** The published public keys (first one signs). */
  publicKeys(): SigningKey['publicJwk'][] {
    return this.idp.signingKeys.map((k) => k.publicJwk);
  }

  /**
   * Ends the OP session `sid` (from `issueToken`) as its user would, via RP-initiated logout. The
   * provider POSTs a logout_token to the client's backchannel_logout_uri, if one is set.
   */
  endSession(sid: string): Promise<void> {
    return this.idp.endSession(sid);
  }

  /**
   * Sets the Tessera client's extra metadata at the provider, e.g. once Tessera's port is known:
   * { backchannel_logout_uri: '…/oidc/backchannel-logout', backchannel_logout_session_required: true }.
   */
  setClientMetadata(metadata: Record<string, unknown>): void {
    this.idp.setClientMetadata(metadata);
  }

  requestCount(path: string): number {
    return this.idp.requestCount(path);
  }

  resetRequestCounts(): void {
    this.idp.resetRequestCounts();
  }

  get running(): boolean {
    return this.idp.running;
  }

  /** Simulates an outage: stops listening; `start()` brings it back on the same port. */
  stop(): Promise<void> {
    return this.idp.stop();
  }

  start(): Promise<void> {
    return this.idp.start();
  }

  async rotateKeys(options: { dropOld?: boolean } = {}): Promise<void> {
    await this.idp.rotateKeys(options);
  }

  close(): Promise<void> {
    return this.idp.stop();
  }

  private currentKey(): SigningKey {
    const key = this.idp.signingKeys[0];
    if (!key) throw new Error('identity provider has no key');
    return key;
  }
}

export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  const audience = options.audience ?? DEFAULT_TEST_AUDIENCE;
  const scope = options.scope ?? 'openid email';
  const idp = new Idp({
    port: 0,
    users: options.users,
    audience,
    scope,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    accessTokenFormat: options.accessTokenFormat,
    userinfoTokens: options.userinfoTokens,
    clientMetadata: options.clientMetadata,
  });
  await idp.start();
  return new TestIdp(idp, audience, scope);
}
