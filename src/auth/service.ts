// The facade the protocol front-ends call. IMAP, SMTP and JMAP hold one AuthService and ask it what to
// advertise, start SASL exchanges through it, and log in with passwords or bearer tokens. It owns the
// cross-cutting parts: policy, throttling, audit, and one token validator per distinct `oidc` block.
import type { Logger } from '../log/logger.js';
import type { OidcConfig } from '../config/types.js';
import { UsersRepositoryUnavailableError, type UsersRepository } from './users/types.js';
import type {
  AuthFailure,
  AuthResult,
  ConnectionAuthContext,
  Principal,
  SaslExchange,
  SaslStep,
} from './types.js';
import { authPolicy, refuseMechanism } from './policy.js';
import { LoginThrottle, type Reservation, type ThrottleEvent, type ThrottleRefusal } from './throttle/login-throttle.js';
import type { ThrottleSettings } from './throttle/settings.js';
import type { ThrottleStoreFactory } from './throttle/store.js';
import { throttleEventsTotal } from './metrics.js';
import { auditAuth, type AuditedProtocol } from './audit.js';
import { RecentAuthEvents } from './recent-events.js';
import type { CredentialChecker } from './credentials.js';
import type { DelegationGrants } from './types.js';
import { createSaslExchange } from './sasl/index.js';
import { ValidatorRegistry } from './token/registry.js';
import type { TokenValidator } from './token/types.js';
import type { ValidatorSettings } from './token/validator.js';
import { MAX_PASSWORD_BYTES } from './sasl/limits.js';
import type { AppPasswordService } from './app-passwords/service.js';

export interface AuthServiceOptions {
  users: UsersRepository;
  logger: Logger;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Failed-login throttling (tessera.properties `auth.throttle.*`); unset values take the defaults. */
  throttle?: Partial<ThrottleSettings>;
  /**
   * Where the throttle counts: shared by every node (the users database on PostgreSQL) so a guesser
   * spreading attempts over nodes gets one allowance. Default: this process's memory.
   */
  throttleStore?: ThrottleStoreFactory;
  /** Token validator tuning (cache sizes, JWKS cooldown, HTTP timeout, fetch implementation). */
  tokens?: Partial<ValidatorSettings>;
  /**
   * James' administratorId(s) of usersrepository.xml: users who may log in as any other user by
   * naming that user as the SASL PLAIN authorization identity, with their own password.
   */
  administrators?: readonly string[];
  /**
   * Delegation grants kept by the mail store (an owner lets a delegate log in as the owner): the
   * other users who may name someone else as authorization identity. Without it only
   * administrators may.
   */
  delegations?: DelegationGrants;
  /**
   * App passwords, checked before the users repository for PLAIN/LOGIN/IMAP LOGIN/JMAP Basic on the
   * mail protocols, so they work whatever holds the user's own password (embedded, LDAP, the IdP).
   */
  appPasswords?: Pick<AppPasswordService, 'verify'>;
}

export type RevalidationResult = 'active' | 'inactive' | 'unknown';

/** Who is attempting a login, as far as throttling and audit need to know. */
interface Attempt {
  protocol: AuditedProtocol;
  peer: string;
  /** Log correlation id of the connection, carried by the audit line. */
  session?: string;
}

export class AuthService {
  private readonly users: UsersRepository;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly throttle: LoginThrottle;
  private readonly validators: ValidatorRegistry;
  private readonly administrators: ReadonlySet<string>;
  private readonly delegations: DelegationGrants | undefined;
  private readonly appPasswords: Pick<AppPasswordService, 'verify'> | undefined;
  private closed = false;
  /** The last login attempts, for operators (WebAdmin /events). */
  readonly recentEvents = new RecentAuthEvents();

  constructor(options: AuthServiceOptions) {
    this.users = options.users;
    this.logger = options.logger;
    // Read through a closure, so a test that mocks Date moves the throttle's clock too.
    this.now = options.now ?? (() => Date.now());
    this.throttle = new LoginThrottle(options.throttle, this.now, (event) => this.logThrottle(event), {
      ...(options.throttleStore ? { store: options.throttleStore } : {}),
      onStoreError: (err) => this.logger.warn({ err: describeError(err) }, 'login throttle: the shared store failed'),
    });
    this.validators = new ValidatorRegistry(this.users, this.logger, { now: this.now, ...options.tokens });
    this.administrators = new Set((options.administrators ?? []).map((a) => a.toLowerCase()));
    this.delegations = options.delegations;
    this.appPasswords = options.appPasswords;
    if (this.administrators.size > 0) {
      this.logger.info(
        { administrators: [...this.administrators] },
        'usersrepository.xml administrators may log in as any user (SASL PLAIN authorization identity)',
      );
    }
  }

  /** Mechanisms to advertise (IMAP AUTH=…, SMTP EHLO AUTH …) for this connection state, tokens first. */
  advertisedMechanisms(ctx: ConnectionAuthContext): string[] {
    return authPolicy(ctx).advertise;
  }

  /** Whether IMAP LOGIN / JMAP Basic may be used now (false on a clear IMAP connection → LOGINDISABLED). */
  passwordLoginAllowed(ctx: ConnectionAuthContext): boolean {
    return authPolicy(ctx).passwordsAllowed;
  }

  /**
   * Starts a SASL exchange for AUTHENTICATE / AUTH, or returns the failure to answer at once:
   * mechanism-unavailable (unknown or disabled), encryption-required (passwords need TLS),
   * throttled (address blocked). The exchange audits and throttles its own outcome.
   */
  beginSasl(mechanism: string, ctx: ConnectionAuthContext): SaslExchange | AuthFailure {
    const name = mechanism.toUpperCase();
    const refused = refuseMechanism(name, ctx);
    if (refused) {
      this.audit(ctx, name, undefined, refused);
      return refused;
    }
    if (this.throttle.addressBlocked(ctx.peer)) {
      const failure = throttledFailure();
      this.audit(ctx, name, undefined, failure, refusalReason('blocked'));
      return failure;
    }
    const exchange = createSaslExchange(name, this.checkerFor(ctx), {
      scope: ctx.auth.oidc?.scope,
      openidConfiguration: ctx.auth.oidc?.oidcConfigurationURL,
    });
    if (!exchange) return { code: 'mechanism-unavailable', message: 'Unsupported authentication mechanism' };
    return new AuditedExchange(exchange, (step) => {
      // Credential failures are audited by the checker; this catches syntax failures and aborts.
      if (step.type === 'failure' && (step.failure.code === 'malformed' || step.failure.code === 'aborted')) {
        this.audit(ctx, name, undefined, step.failure);
      }
    });
  }

  /** IMAP LOGIN and JMAP Basic: policy, throttling and audit included. */
  async loginWithPassword(username: string, password: string, ctx: ConnectionAuthContext): Promise<AuthResult> {
    const mechanism = ctx.protocol === 'jmap' ? 'BASIC' : 'LOGIN';
    const refused = refuseMechanism('PLAIN', ctx);
    if (refused) {
      this.audit(ctx, mechanism, username, refused);
      return { ok: false, failure: refused };
    }
    return this.checkPassword(ctx, username, password, mechanism);
  }

  /**
   * The development IdP's password grant (POST /dev/token): the same throttle and audit as a protocol
   * login. No listener policy applies: that endpoint listens on loopback only and has no TLS switch.
   */
  async verifyPasswordGrant(username: string, password: string, peer: string): Promise<AuthResult> {
    return this.checkPassword({ protocol: 'devidp', peer }, username, password, 'PASSWORD');
  }

  /** JMAP Bearer / JWT strategy: the same validator, throttling and audit as OAUTHBEARER. */
  async loginWithBearer(token: string, ctx: ConnectionAuthContext): Promise<AuthResult> {
    const refused = refuseMechanism('OAUTHBEARER', ctx);
    if (refused) {
      this.audit(ctx, 'BEARER', undefined, refused);
      return { ok: false, failure: refused };
    }
    return this.checkToken(ctx, token, undefined, 'BEARER');
  }

  /**
   * Re-checks a live token session (revocation issue): asks the configured introspection endpoint,
   * bypassing caches. 'inactive' means the provider definitely said no (end the session); 'unknown'
   * means it could not be asked (keep the session, log). Password sessions are always 'active'.
   */
  async revalidate(principal: Principal, ctx: ConnectionAuthContext): Promise<RevalidationResult> {
    if (principal.accessToken === undefined) return 'active';
    const oidc = ctx.auth.oidc;
    if (!oidc) return 'unknown';
    return this.validators.get(oidc).introspect(principal.accessToken);
  }

  /** Whether usersrepository.xml names this user an administrator (James' administratorId). */
  isAdministrator(user: string): boolean {
    return this.administrators.has(user.toLowerCase());
  }

  /**
   * The validator for an `oidc` block (one per distinct configuration, cached). For the revocation
   * issue, which verifies logout tokens with the same provider keys.
   */
  tokenValidator(oidc: OidcConfig): TokenValidator {
    return this.validators.get(oidc);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.validators.close();
    await this.throttle.close();
  }

  private checkerFor(ctx: ConnectionAuthContext): CredentialChecker {
    return {
      checkPassword: (username, password, mechanism, authzid) =>
        this.checkPassword(ctx, username, password, mechanism, authzid),
      checkToken: (token, claimedUser, mechanism, authzid) => this.checkToken(ctx, token, claimedUser, mechanism, authzid),
    };
  }

  private async checkPassword(
    attempt: Attempt,
    username: string,
    password: string,
    mechanism: string,
    authzid?: string,
  ): Promise<AuthResult> {
    const admission = await this.throttle.reserve({ peer: attempt.peer, user: username, protocol: attempt.protocol });
    if (!admission.ok) return this.refuse(attempt, mechanism, username, admission.refusal);
    const place = admission.reservation;
    try {
      const actAs = authzid !== undefined && authzid !== '' && !sameUser(authzid, username) ? authzid : undefined;
      if (username.length === 0 || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
        return await this.fail(attempt, mechanism, username, invalidCredentials(), place);
      }
      let verified: boolean;
      let canonical: string | undefined;
      try {
        // An administrator acting as someone else uses their own password, never an app password.
        if (actAs === undefined && this.appPasswords && attempt.protocol !== 'devidp') {
          const verdict = await this.appPasswords.verify(username, password, attempt.protocol, attempt.peer);
          if (verdict.kind === 'refused') return await this.fail(attempt, mechanism, username, invalidCredentials(), place, verdict.reason);
          if (verdict.kind === 'accepted') {
            place.succeeded();
            return this.succeed(attempt, { user: verdict.record.user, mechanism, credentialId: verdict.record.id });
          }
        }
        verified = await this.users.verifyPassword(username, password);
        if (verified) canonical = (await this.users.lookup(username))?.username;
      } catch (err) {
        const failure: AuthFailure = { code: 'temporary', message: 'Authentication service temporarily unavailable' };
        this.logger.warn({ err: describeError(err) }, 'users repository failed during login');
        place.released();
        return await this.fail(attempt, mechanism, username, failure);
      }
      if (!verified) return await this.fail(attempt, mechanism, username, invalidCredentials(), place);
      if (actAs !== undefined) return await this.actAsUser(attempt, mechanism, canonical ?? username, actAs, place);
      place.succeeded();
      return this.succeed(attempt, { user: canonical ?? username, mechanism });
    } finally {
      // Whatever happened above, the place is given back (a no-op once settled).
      place.released();
    }
  }

  /**
   * A user whose password was just verified logs in as `target` (SASL PLAIN authorization identity;
   * James: loginAsOtherUser). The audit line names both.
   */
  private async actAsUser(attempt: Attempt, mechanism: string, actor: string, target: string, place: Reservation): Promise<AuthResult> {
    const allowed = await this.authorize(attempt, mechanism, actor, target, place);
    if (!allowed.ok) return allowed;
    place.succeeded();
    auditAuth(this.logger, { protocol: attempt.protocol, mechanism, user: allowed.user, actor, peer: attempt.peer, session: attempt.session, result: 'success' }, this.recentEvents);
    return { ok: true, principal: { user: allowed.user, mechanism, actor } };
  }

  /**
   * Whether the authenticated `actor` may act as `target` (RFC 4616 §2, RFC 7628 §3.1 authzid): an
   * administrator (James' administratorIds) as any existing user, any other user as an owner who
   * granted them delegation in the mail store. Resolves the target's canonical name, or the failure
   * already audited (the same answer whether the target exists or not).
   */
  private async authorize(
    attempt: Attempt,
    mechanism: string,
    actor: string,
    target: string,
    place: Reservation,
  ): Promise<{ ok: true; user: string } | { ok: false; failure: AuthFailure }> {
    const refused: AuthFailure = { code: 'invalid', message: 'Not authorized to act as that user' };
    let user: string | undefined;
    let allowed = false;
    try {
      user = (await this.users.lookup(target))?.username;
      if (user !== undefined) allowed = await this.mayActAs(actor, user);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'users repository or delegation grants failed during login');
      place.released();
      const failure: AuthFailure = { code: 'temporary', message: 'Authentication service temporarily unavailable' };
      await this.fail(attempt, mechanism, actor, failure);
      return { ok: false, failure };
    }
    if (user === undefined) {
      await this.fail(attempt, mechanism, actor, refused, place, 'authorization identity names an unknown user');
      return { ok: false, failure: refused };
    }
    if (!allowed) {
      await this.fail(attempt, mechanism, actor, refused, place, 'authzid differs from authcid and no delegation was granted');
      return { ok: false, failure: refused };
    }
    return { ok: true, user };
  }

  /**
   * The delegation rule itself, for names already canonical: `actor` may act as `user` when an
   * administrator (James' administratorIds) or granted delegation by `user` in the mail store. Logins
   * ask it through authorize(); session control asks it again for live delegated sessions after the
   * node may have missed a `delegation revoke` (a resync). Rejects when the grants cannot be read.
   */
  async mayActAs(actor: string, user: string): Promise<boolean> {
    if (this.administrators.has(actor.toLowerCase())) return true;
    return (await this.delegations?.mayActAs(actor, user)) === true;
  }

  private async checkToken(
    ctx: ConnectionAuthContext,
    token: string,
    claimedUser: string | undefined,
    mechanism: string,
    authzid?: string,
  ): Promise<AuthResult> {
    const oidc = ctx.auth.oidc;
    if (!oidc) {
      return this.fail(ctx, mechanism, claimedUser, { code: 'mechanism-unavailable', message: `Mechanism ${mechanism} is not configured` });
    }
    const admission = await this.throttle.reserve({ peer: ctx.peer, user: claimedUser, protocol: ctx.protocol });
    if (!admission.ok) return this.refuse(ctx, mechanism, claimedUser, admission.refusal);
    const place = admission.reservation;
    try {
      return await this.checkReservedToken(ctx, oidc, token, claimedUser, mechanism, place, authzid);
    } finally {
      place.released();
    }
  }

  private async checkReservedToken(
    ctx: ConnectionAuthContext,
    oidc: OidcConfig,
    token: string,
    claimedUser: string | undefined,
    mechanism: string,
    place: Reservation,
    authzid: string | undefined,
  ): Promise<AuthResult> {
    const verdict = await this.validators.get(oidc).validate(token);
    if (!verdict.ok) {
      if (verdict.code === 'temporary') {
        place.released();
        return this.fail(ctx, mechanism, claimedUser, { code: 'temporary', message: 'Token validation temporarily unavailable' }, undefined, verdict.reason);
      }
      return this.fail(ctx, mechanism, claimedUser, { code: 'invalid', message: 'Invalid or expired token' }, place, verdict.reason);
    }
    const identity = verdict.identity;
    if (claimedUser !== undefined && claimedUser !== '' && !sameUser(claimedUser, identity.user)) {
      return this.fail(ctx, mechanism, claimedUser, { code: 'invalid', message: 'Token does not belong to the named user' }, place, 'payload user differs from token user');
    }
    // OAUTHBEARER's a= naming someone else: the token's user acts as them, under the PLAIN rule.
    let actor: string | undefined;
    let user = identity.user;
    if (authzid !== undefined && authzid !== '' && !sameUser(authzid, identity.user)) {
      const allowed = await this.authorize(ctx, mechanism, identity.user, authzid, place);
      if (!allowed.ok) return allowed;
      actor = identity.user;
      user = allowed.user;
    }
    place.succeeded();
    const principal: Principal = {
      user,
      ...(actor !== undefined ? { actor } : {}),
      mechanism,
      tokenExpiry: identity.expiresAt !== undefined ? new Date(identity.expiresAt * 1000) : undefined,
      issuedAt: identity.issuedAt !== undefined ? new Date(identity.issuedAt * 1000) : undefined,
      sid: identity.sid,
      jti: identity.jti,
      clientId: identity.clientId,
      subject: identity.subject,
      issuer: identity.issuer,
      accessToken: token,
    };
    return this.succeed(ctx, principal);
  }

  private succeed(ctx: Attempt, principal: Principal): AuthResult {
    auditAuth(this.logger, {
      protocol: ctx.protocol,
      mechanism: principal.mechanism,
      user: principal.user,
      ...(principal.actor !== undefined ? { actor: principal.actor } : {}),
      peer: ctx.peer,
      session: ctx.session,
      result: 'success',
      clientId: principal.clientId,
      sid: principal.sid,
      appPassword: principal.credentialId,
    }, this.recentEvents);
    return { ok: true, principal };
  }

  /**
   * Audits a failure. With the attempt's reservation, the failure counts against the throttle and is
   * answered only after the delay it earns.
   */
  private async fail(
    ctx: Attempt,
    mechanism: string,
    user: string | undefined,
    failure: AuthFailure,
    counted?: Reservation,
    reason?: string,
  ): Promise<AuthResult> {
    this.audit(ctx, mechanism, user, failure, reason);
    await counted?.failed();
    return { ok: false, failure };
  }

  /** An attempt the throttle turned away before any credential was looked at. */
  private refuse(ctx: Attempt, mechanism: string, user: string | undefined, refusal: ThrottleRefusal): AuthResult {
    const failure = refusal === 'busy' ? busyFailure() : refusal === 'unavailable' ? unavailableFailure() : throttledFailure();
    this.audit(ctx, mechanism, user, failure, refusalReason(refusal));
    return { ok: false, failure };
  }

  /** Throttle and block events at warn, for operators and fail2ban: address, name, protocol, never a secret. */
  private logThrottle(event: ThrottleEvent): void {
    const { attempt } = event;
    throttleEventsTotal.inc({ action: event.action, scope: event.scope, protocol: attempt.protocol });
    const line = {
      event: 'auth-throttle',
      action: event.action,
      scope: event.scope,
      protocol: attempt.protocol,
      peer: attempt.peer,
      user: attempt.user,
      failures: event.failures,
      ...(event.action === 'delay' ? { delayMs: event.delayMs } : { blockedSeconds: event.blockedSeconds }),
    };
    this.logger.warn(line, event.action === 'block' ? 'login failures: blocked' : 'login failures: answer delayed');
  }

  private audit(ctx: Attempt, mechanism: string, user: string | undefined, failure: AuthFailure, reason?: string): void {
    auditAuth(this.logger, {
      protocol: ctx.protocol,
      mechanism,
      user,
      peer: ctx.peer,
      session: ctx.session,
      result: failure.code,
      reason: reason ?? failure.message,
    }, this.recentEvents);
  }
}

/** Wraps an exchange to observe its final step. */
class AuditedExchange implements SaslExchange {
  constructor(
    private readonly inner: SaslExchange,
    private readonly onStep: (step: SaslStep) => void,
  ) {}
  get mechanism(): string {
    return this.inner.mechanism;
  }
  async start(initial?: string): Promise<SaslStep> {
    const step = await this.inner.start(initial);
    this.onStep(step);
    return step;
  }
  async respond(line: string): Promise<SaslStep> {
    const step = await this.inner.respond(line);
    this.onStep(step);
    return step;
  }
}

function throttledFailure(): AuthFailure {
  return { code: 'throttled', message: 'Too many failed attempts, try again later' };
}

/**
 * More logins at once from one address than its allowance and waiting room (a NAT or a proxy after
 * a restart, say): nothing failed, and the client is not told it did.
 */
function busyFailure(): AuthFailure {
  return { code: 'throttled', message: 'Too many logins in progress from your address, try again later' };
}

/** The shared throttle could not be asked: refused rather than verified uncounted, and said to be temporary. */
function unavailableFailure(): AuthFailure {
  return { code: 'temporary', message: 'Authentication service temporarily unavailable' };
}

function invalidCredentials(): AuthFailure {
  return { code: 'invalid', message: 'Invalid credentials' };
}

function sameUser(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function describeError(err: unknown): string {
  if (err instanceof UsersRepositoryUnavailableError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function refusalReason(refusal: ThrottleRefusal): string {
  if (refusal === 'unavailable') return 'login throttle unavailable';
  return refusal === 'blocked' ? 'blocked after repeated failures' : 'too many attempts in progress';
}
