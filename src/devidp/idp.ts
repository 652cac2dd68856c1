// A real OpenID provider (oidc-provider) on 127.0.0.1, shared by the development IdP (`npm start`) and
// the test harness (test/support/oidc-provider.ts). It issues JWT access tokens for one resource
// (audience), signed with its own rotatable RS256 keys, and carrying the OP session `sid` and the
// user's `email`, so Tessera's validator and back-channel logout see what a production IdP sends.
//
// There is no login page. Tokens are obtained by running the authorization-code flow over HTTP from
// this process (`issueToken`): the flow carries a one-time ticket in `state`, and the interaction
// endpoint logs in the ticket's user only. A browser hitting /auth gets an error, so nobody can obtain
// tokens by visiting the IdP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientMetadata, Configuration, Grant, Provider, TokenLike } from 'oidc-provider';
import { loadOidcProvider } from './load-provider.js';
import { IdpStorage } from './adapter.js';
import { generateSigningKey, type SigningKey } from './keys.js';
import { browserRequest, runAuthorizationCodeFlow, TokenFlowError, type CookieJar, type IssuedToken } from './token-flow.js';

export interface IdpUser {
  email: string;
  /** Stable subject; defaults to a UUID. */
  sub?: string;
}

export interface IdpOptions {
  /** Port to listen on (0 = ephemeral). Always 127.0.0.1. */
  port: number;
  /** Public issuer URL; defaults to http://127.0.0.1:<port>. */
  issuer?: string;
  users: IdpUser[];
  /**
   * A live user directory for names not in `users`: the canonical name of an existing user (it
   * becomes the `email` claim), or undefined. Asked at every token request, so users added or
   * removed while the IdP runs are known or refused at once.
   */
  findUser?: (email: string) => Promise<string | undefined>;
  /** Resource indicator and `aud` of access tokens. */
  audience: string;
  /** Scopes the resource accepts, space-separated (e.g. "openid email"). */
  scope: string;
  accessTokenTtlSeconds?: number;
  /** 'jwt' (default) or 'opaque' access tokens (opaque ones can be introspected and revoked). */
  accessTokenFormat?: 'jwt' | 'opaque';
  /**
   * Issue access tokens for the userinfo endpoint instead of the mail resource: opaque, without an
   * audience, accepted by userinfo and introspection alike (what a provider hands a client that
   * asks for no resource, and what James' JMAP OidcAuthenticationStrategy checks with both).
   */
  userinfoTokens?: boolean;
  /** Extra metadata for the built-in client (e.g. backchannel_logout_uri). */
  clientMetadata?: Partial<ClientMetadata>;
  /** Answers requests the provider does not own (the dev IdP's /dev/token). Return false to pass. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/** The client the IdP registers for itself, used by the in-process flow and introspection. */
export const IDP_CLIENT_ID = 'tessera';

export class Idp {
  readonly storage = new IdpStorage();
  readonly clientSecret = randomBytes(24).toString('base64url');
  /** Lower-cased email → subject, for the fixed users and every directory user seen so far. */
  private readonly subs = new Map<string, string>();
  /** Subject → email: the provider's account lookup, live (a new user's subject is added here). */
  private readonly emails = new Map<string, string>();
  private readonly fixedUsers = new Set<string>();
  private readonly tickets = new Map<string, string>();
  private readonly requests = new Map<string, number>();
  /** The user agent's cookies per OP session id, so a test can later end that session. */
  private readonly sessionCookies = new Map<string, CookieJar>();
  private clientMetadata: Partial<ClientMetadata>;
  private keys: SigningKey[] = [];
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private provider: Provider | undefined;
  /** The oidc-provider module, loaded by start() (see load-provider.ts). */
  private oidc: Awaited<ReturnType<typeof loadOidcProvider>> | undefined;
  private providerCallback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private server: Server | undefined;
  private portNumber: number;
  private issuerUrl: string | undefined;

  constructor(private readonly options: IdpOptions) {
    this.portNumber = options.port;
    this.clientMetadata = { ...options.clientMetadata };
    for (const user of options.users) {
      this.fixedUsers.add(user.email.toLowerCase());
      this.remember(user.email, user.sub ?? randomUUID());
    }
  }

  get issuer(): string {
    if (!this.issuerUrl) throw new Error('identity provider not started');
    return this.issuerUrl;
  }

  get port(): number {
    return this.portNumber;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get signingKeys(): readonly SigningKey[] {
    return this.keys;
  }

  /** Starts (or restarts, on the same port, with the same sessions and keys) the provider. */
  async start(): Promise<void> {
    if (this.server) return;
    if (this.keys.length === 0) this.keys = [await generateSigningKey()];
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : 'error');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.issuerUrl ??= this.options.issuer ?? `http://127.0.0.1:${this.portNumber}`;
    this.oidc ??= await loadOidcProvider();
    this.useProvider(this.createProvider(this.issuerUrl));
    this.server = server;
  }

  /** Stops listening (an IdP outage); state is kept for `start()`. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.provider = undefined;
    this.providerCallback = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // In-process HTTP clients (fetch's connection pool) must see their sockets close before a restart
    // on the same port, or their next request goes to a dead keep-alive socket.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  /**
   * Generates a new signing key that signs from now on. The old keys stay published unless
   * `dropOld`, so tokens already issued keep verifying. Restarts the provider if it is running.
   */
  async rotateKeys(options: { dropOld?: boolean } = {}): Promise<SigningKey> {
    const key = await generateSigningKey();
    this.keys = options.dropOld ? [key] : [key, ...this.keys];
    if (this.server) this.useProvider(this.createProvider(this.issuer));
    return key;
  }

  /** HTTP requests received, per path (e.g. "/jwks"), since start or the last reset. */
  requestCount(path: string): number {
    return this.requests.get(path) ?? 0;
  }

  resetRequestCounts(): void {
    this.requests.clear();
  }

  private remember(email: string, sub: string): void {
    this.subs.set(email.toLowerCase(), sub);
    this.emails.set(sub, email.toLowerCase());
  }

  /**
   * The subject of a known user (case-insensitive email): a fixed one, or one the live directory
   * has now (a stable subject is assigned on first sight). Undefined for anyone else.
   */
  async subjectOf(email: string): Promise<string | undefined> {
    let key = email.toLowerCase();
    if (!this.fixedUsers.has(key)) {
      if (!this.options.findUser) return undefined;
      const canonical = await this.options.findUser(email);
      if (canonical === undefined) return undefined;
      key = canonical.toLowerCase();
    }
    let sub = this.subs.get(key);
    if (sub === undefined) {
      sub = randomUUID();
      this.remember(key, sub);
    }
    return sub;
  }

  /** Known user, as subjectOf() decides? */
  async hasUser(email: string): Promise<boolean> {
    return (await this.subjectOf(email)) !== undefined;
  }

  /**
   * A real access token for `email`, from the authorization-code flow (a fresh OP session each call,
   * so each token has its own `sid`).
   */
  async issueToken(email: string, options: { scope?: string } = {}): Promise<IssuedToken> {
    const sub = await this.subjectOf(email);
    if (!sub) throw new Error(`unknown user ${email}`);
    if (!this.server) throw new Error('identity provider is stopped');
    const ticket = randomBytes(18).toString('base64url');
    this.tickets.set(ticket, sub);
    try {
      const { token, cookies } = await runAuthorizationCodeFlow({
        issuer: this.issuer,
        clientId: IDP_CLIENT_ID,
        clientSecret: this.clientSecret,
        redirectUri: this.redirectUri(),
        scope: options.scope ?? this.options.scope,
        ...(this.options.userinfoTokens ? {} : { resource: this.options.audience }),
        state: ticket,
      });
      if (token.sid) this.rememberSession(token.sid, cookies);
      return token;
    } finally {
      this.tickets.delete(ticket);
    }
  }

  /**
   * Ends the OP session `sid` as its user would (RP-initiated logout, confirmed). The provider then
   * sends back-channel logout tokens to clients with a backchannel_logout_uri.
   */
  async endSession(sid: string): Promise<void> {
    const jar = this.sessionCookies.get(sid);
    if (!jar) throw new Error(`no session ${sid} issued by this identity provider`);
    const page = await browserRequest(`${this.issuer}/session/end?client_id=${IDP_CLIENT_ID}`, jar);
    const html = await page.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (page.status !== 200 || !xsrf) throw new TokenFlowError(`logout page answered ${page.status}`);
    const confirm = await browserRequest(`${this.issuer}/session/end/confirm`, jar, { method: 'POST', form: { xsrf, logout: 'yes' } });
    await confirm.body?.cancel();
    if (confirm.status < 300 || confirm.status >= 400) throw new TokenFlowError(`logout confirmation answered ${confirm.status}`);
    this.sessionCookies.delete(sid);
  }

  /** Replaces the built-in client's extra metadata (e.g. a back-channel logout URI known only later). */
  setClientMetadata(metadata: Partial<ClientMetadata>): void {
    this.clientMetadata = { ...metadata };
    if (this.server) this.useProvider(this.createProvider(this.issuer));
  }

  private rememberSession(sid: string, cookies: CookieJar): void {
    this.sessionCookies.set(sid, cookies);
    // The dev IdP may issue tokens for days; keep the newest sessions only.
    while (this.sessionCookies.size > 1000) {
      const oldest = this.sessionCookies.keys().next().value;
      if (oldest === undefined) break;
      this.sessionCookies.delete(oldest);
    }
  }

  private redirectUri(): string {
    return `${this.issuer}/dev/callback`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    // Bounded: per-interaction paths are unique, and the dev IdP may run for days.
    if (this.requests.has(path) || this.requests.size < 1000) this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
    const provider = this.provider;
    const callback = this.providerCallback;
    if (!provider || !callback) {
      res.writeHead(503).end();
      return;
    }
    if (path.startsWith('/interaction/')) return this.interaction(provider, req, res);
    if (path === '/dev/callback' || path === '/dev/logged-out') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(path === '/dev/callback' ? 'authorization complete\n' : 'signed out\n');
      return;
    }
    if (this.options.extraRoutes && (await this.options.extraRoutes(req, res))) return;
    callback(req, res);
  }

  private useProvider(provider: Provider): void {
    this.provider = provider;
    this.providerCallback = provider.callback();
  }

  /** Completes login and consent for the flow's ticket holder; anything else is refused. */
  private async interaction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const state = typeof details.params.state === 'string' ? details.params.state : '';
    const sub = this.tickets.get(state);
    if (!sub) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('This development identity provider has no login page; fetch tokens with POST /dev/token.\n');
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
      return;
    }
    const clientId = String(details.params.client_id);
    let grant: Grant | undefined = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    grant ??= new provider.Grant({ accountId: sub, clientId });
    const scope = typeof details.params.scope === 'string' ? details.params.scope : this.options.scope;
    grant.addOIDCScope(scope);
    grant.addResourceScope(this.options.audience, scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** The OP session id for this token's client: what a back-channel logout token will name. */
  private async sessionIdOf(token: TokenLike): Promise<string | undefined> {
    if (token.sid) return token.sid;
    if (!token.sessionUid || !token.clientId || !this.provider) return undefined;
    const session = await this.provider.Session.findByUid(token.sessionUid);
    return session?.sidFor(token.clientId);
  }

  private createProvider(issuer: string): Provider {
    const oidc = this.oidc;
    if (!oidc) throw new Error('identity provider not started');
    const emails = this.emails;
    const { audience, scope } = this.options;
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    const configuration: Configuration = {
      adapter: this.storage.adapterClass(),
      clients: [
        {
          client_id: IDP_CLIENT_ID,
          client_secret: this.clientSecret,
          redirect_uris: [this.redirectUri()],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          post_logout_redirect_uris: [`${issuer}/dev/logged-out`],
          ...this.clientMetadata,
        },
      ],
      jwks: { keys: this.keys.map((k) => k.privateJwk as Record<string, unknown>) },
      cookies: { keys: this.cookieKeys },
      scopes: ['openid', 'email', 'offline_access', ...scope.split(/\s+/).filter(Boolean)],
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      findAccount: (_ctx, id) => {
        const email = emails.get(id);
        if (!email) return undefined;
        return { accountId: id, claims: () => ({ sub: id, email, email_verified: true }) };
      },
      // The mail claim and the OP session id go into the access token: Tessera maps `email` to the
      // user and back-channel logout names sessions by `sid`.
      extraTokenClaims: async (_ctx, token) => {
        if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
        const extra: Record<string, unknown> = { email: emails.get(token.accountId) };
        const sid = await this.sessionIdOf(token);
        if (sid) extra.sid = sid;
        return extra;
      },
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: true },
        revocation: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          // Just the form (with its xsrf token): `endSession` submits it.
          logoutSource: (ctx: { body: unknown }, form: string) => {
            ctx.body = form;
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => (this.options.userinfoTokens ? undefined : audience),
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (resource !== audience) throw new oidc.errors.InvalidTarget();
            const format = this.options.accessTokenFormat ?? 'jwt';
            return format === 'jwt'
              ? { scope, audience, accessTokenFormat: 'jwt', accessTokenTTL: ttl, jwt: { sign: { alg: 'RS256' } } }
              : { scope, audience, accessTokenFormat: 'opaque', accessTokenTTL: ttl };
          },
        },
      },
      pkce: { required: () => true },
      // oidc-provider refuses outgoing requests to loopback addresses (SSRF protection). This IdP and
      // the Tessera it logs out live on 127.0.0.1, so loopback targets skip that dispatcher; any other
      // target keeps it.
      fetch: (url: URL | string, options: RequestInit & { dispatcher?: unknown }) => {
        const host = new URL(url).hostname;
        if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]') {
          const { dispatcher: _ignored, ...rest } = options;
          return fetch(url, rest);
        }
        return fetch(url, options);
      },
      ttl: { AccessToken: ttl, IdToken: 3600, Session: 24 * 3600, Grant: 24 * 3600, Interaction: 600, AuthorizationCode: 60 },
      renderError: (ctx, out) => {
        ctx.type = 'application/json';
        ctx.body = out;
      },
    };
    return new oidc.Provider(issuer, configuration);
  }
}
