// Session control: the one object `tessera serve` creates for revocation. Protocols register their
// authenticated connections with it and ask it whether a principal is revoked; it offers its HTTP
// routes (back-channel logout) as data for whichever HTTP server `tessera serve` mounts them on; it
// runs the re-validation loop, expiry timers, the admin socket and the bus subscription that ends
// sessions revoked anywhere. Revocations are kept by the mail store (RevocationStore).
import type { AuthService } from '../auth/service.js';
import type { Principal } from '../auth/types.js';
import type { OidcConfig } from '../config/types.js';
import type { EventBus, Unsubscribe } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import type { FetchFunction } from '../auth/token/http.js';
import type { UsersRepository } from '../auth/users/types.js';
import type { HttpRoute } from '../core/http.js';
import type { RevocationStore } from '../store/revocations.js';
import { adminSocketPath } from './admin-protocol.js';
import { AdminSocket } from './admin-socket.js';
import { createBackchannelLogoutHandler, type BackchannelLogoutHandler } from './backchannel-logout.js';
import { backchannelLogoutRoute } from './backchannel-route.js';
import { importLegacyRevocations } from './legacy-revocations.js';
import { createLogoutProviders } from './logout-providers.js';
import { SessionRegistry, summarize } from './registry.js';
import { Revalidator } from './revalidator.js';
import { DELEGATION_REVOKED_REASON, RevocationService } from './revocation.js';
import { endRevokedSessions } from './resync.js';
import { endReason } from './end-reason.js';
import type { RevocationCriteria, RevocationRequest, SessionHandle, SessionRegistration, SessionSummary } from './types.js';

export interface SessionControlDeps {
  /** Holds admin.sock (and, from earlier versions, revocations.sqlite, imported at start). */
  dataDir: string;
  /** Where revocations are kept: the mail store, shared by every node. Not closed by stop(). */
  store: RevocationStore;
  bus: EventBus;
  logger: Logger;
  /** Every `oidc` block in the configuration (see oidcBlocksOf), for back-channel logout. */
  oidc: readonly OidcConfig[];
  /**
   * Re-introspection and the shared JWKS caches; without it there is no re-validation loop. Also the
   * delegation rule a resync checks live delegated sessions against (without it, only revocations).
   */
  auth?: AuthService;
  /** Checks and canonicalises the user of `tessera sessions revoke --user` (see AdminSocketOptions.users). */
  users?: Pick<UsersRepository, 'lookup'>;
  /**
   * Serve <dataDir>/admin.sock (default true); 'take-over' in a worker of several server processes,
   * which replaces a live socket of the worker it succeeds (AdminSocketOptions.takeOver).
   */
  adminSocket?: boolean | 'take-over';
  /**
   * With several server processes, how list(), countSessions() and endSession() reach every
   * worker's sessions; default: this process's registry.
   */
  listSessions?: () => Promise<SessionSummary[]>;
  endSession?: (id: string, reason: string) => Promise<boolean>;
  countSessions?: (criteria: RevocationCriteria) => Promise<number>;
  /** Longest access-token lifetime expected, seconds (how long revocations are kept by default). */
  retentionSeconds?: number;
  now?: () => number;
  /** HTTP for provider keys when `auth` is absent (tests). */
  fetch?: FetchFunction;
  /** Re-validation tick, ms (default 1000). */
  revalidateTickMs?: number;
}

export interface SessionControl {
  readonly registry: SessionRegistry;
  readonly revocations: RevocationService;
  /** Call once a connection has authenticated; unregister() when it closes. */
  register(registration: SessionRegistration): SessionHandle;
  /**
   * register() then isRevoked() (and, for a delegated login, the delegation rule again), in that
   * order, so a revocation or a delegation revoke published while the login was being checked cannot
   * be missed (it either ends the registered session or is seen by the check).
   * Undefined = the principal is revoked: nothing stays registered, refuse the login as invalid.
   */
  admit(registration: SessionRegistration): Promise<SessionHandle | undefined>;
  /** Call after every successful token login and on every JMAP request: true = refuse as invalid. */
  isRevoked(principal: Principal): Promise<boolean>;
  revoke(request: RevocationRequest): Promise<void>;
  /**
   * A delegation taken back: the sessions in which `actor` acts as `user` end, on every node, with
   * DELEGATION_REVOKED_REASON unless another reason is given. Returns how many live sessions it
   * named (this node's: every worker's with several server processes, see countSessions).
   */
  endDelegated(user: string, actor: string, reason?: string): Promise<number>;
  /** How many live sessions a revocation with these criteria names (this node's, see endDelegated). */
  countSessions(criteria: RevocationCriteria): Promise<number>;
  /** The live sessions of this node (every worker's with several server processes). */
  list(): Promise<SessionSummary[]>;
  /** Ends one live session of this node now, wherever it is; false when there is no such session. */
  endSession(id: string, reason: string): Promise<boolean>;
  /** The back-channel logout handler itself (POST BACKCHANNEL_LOGOUT_PATH), without HTTP. */
  readonly handleBackchannelLogout: BackchannelLogoutHandler;
  /** The HTTP routes to mount (back-channel logout), whatever protocols are enabled. */
  readonly httpRoutes: readonly HttpRoute[];
  /**
   * Imports a revocations.sqlite left by an earlier version, then: bus subscription, re-validation
   * loop, admin socket, hourly purge.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const PURGE_INTERVAL_MS = 3600_000;

export function createSessionControl(deps: SessionControlDeps): SessionControl {
  const now = deps.now ?? Date.now;
  const store = deps.store;
  const registry = new SessionRegistry({ logger: deps.logger, now });
  const revocations = new RevocationService({ store, bus: deps.bus, logger: deps.logger, now, retentionSeconds: deps.retentionSeconds });
  const providers = createLogoutProviders(deps.oidc, { logger: deps.logger, auth: deps.auth, fetch: deps.fetch, now });
  const handleBackchannelLogout = createBackchannelLogoutHandler({ providers, revocations, store, logger: deps.logger, now });
  const revalidator = deps.auth
    ? new Revalidator({ registry, auth: deps.auth, revocations, logger: deps.logger, now, tickMs: deps.revalidateTickMs })
    : undefined;
  const countSessions = deps.countSessions ?? ((criteria: RevocationCriteria) => Promise.resolve(registry.matching(criteria).length));
  const list = deps.listSessions ?? (() => Promise.resolve(registry.list().map(summarize)));
  const endSession = deps.endSession ?? ((id: string, reason: string) => Promise.resolve(registry.terminate(id, reason)));
  const endDelegated = async (user: string, actor: string, reason = DELEGATION_REVOKED_REASON): Promise<number> => {
    const matched = await countSessions({ user, actor });
    await revocations.endDelegatedSessions(user, actor, reason);
    return matched;
  };
  const admin =
    deps.adminSocket === false
      ? undefined
      : new AdminSocket({
          path: adminSocketPath(deps.dataDir),
          revocations,
          logger: deps.logger,
          takeOver: deps.adminSocket === 'take-over',
          countSessions,
          endDelegated,
          listSessions: list,
          ...(deps.users ? { users: deps.users } : {}),
        });

  let unsubscribe: Unsubscribe | undefined;
  let unsubscribeResync: Unsubscribe | undefined;
  let recheck: Promise<unknown> | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  return {
    registry,
    revocations,
    register: (registration) => registry.register(registration),
    async admit(registration) {
      const handle = registry.register(registration);
      let revoked: boolean;
      try {
        // A delegated login passed the delegation rule before it registered; a `delegation revoke`
        // whose event came in between found nothing to end, but its removed grant is seen here.
        revoked = (await endReason(registration.principal, revocations, deps.auth)) !== undefined;
      } catch (err) {
        handle.unregister();
        throw err;
      }
      if (!revoked) return handle;
      handle.unregister();
      return undefined;
    },
    isRevoked: (principal) => revocations.isRevoked(principal),
    revoke: (request) => revocations.revoke(request),
    endDelegated,
    countSessions,
    list,
    endSession,
    handleBackchannelLogout,
    httpRoutes: [backchannelLogoutRoute(handleBackchannelLogout)],
    async start() {
      if (unsubscribe) return;
      await importLegacyRevocations(deps.dataDir, store, deps.logger, new Date(now()));
      unsubscribe = registry.subscribe(deps.bus);
      // Revocations published while this node missed events are re-read from the store, and delegated
      // sessions re-checked against the grants there (one pass at a time; a resync during a pass
      // starts another after it).
      unsubscribeResync = deps.bus.onResync(() => {
        const pass: Promise<unknown> = (recheck ?? Promise.resolve()).then(() => endRevokedSessions({ registry, revocations, logger: deps.logger, delegation: deps.auth }));
        recheck = pass;
        void pass.finally(() => {
          if (recheck === pass) recheck = undefined;
        });
      });
      await admin?.start();
      revalidator?.start();
      const purge = (): void => {
        revocations.purgeExpired().catch((err: unknown) => deps.logger.warn({ err: String(err) }, 'revocation purge failed'));
      };
      purge();
      purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
      purgeTimer.unref();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (purgeTimer) clearInterval(purgeTimer);
      unsubscribe?.();
      unsubscribeResync?.();
      await recheck;
      await revalidator?.stop();
      await admin?.stop();
      registry.close();
    },
  };
}

export { BACKCHANNEL_LOGOUT_PATH, type BackchannelLogoutHandler, type BackchannelLogoutResponse } from './backchannel-logout.js';
export { oidcBlocksOf } from './oidc-blocks.js';
export { SessionRegistry, summarize } from './registry.js';
export { RevocationService } from './revocation.js';
export { IMPORTED_REVOCATIONS_FILE, LEGACY_REVOCATIONS_FILE } from './legacy-revocations.js';
export { AdminSocketInUseError, AdminSocketPathError } from './admin-socket.js';
export { adminSocketPath } from './admin-protocol.js';
export type * from './types.js';
export { EmptyRevocationError } from './types.js';
