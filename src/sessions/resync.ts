// After the event bus may have missed events (a node's listening connection to PostgreSQL dropped),
// a `session-revoked` published by another node meanwhile never reached this node's registry. The
// revocations themselves are in the shared store, written before they were published, so every live
// session is checked against them again and the revoked ones end, as the lost event would have done.
// A delegation taken back (`tessera delegation revoke`) writes no revocation, only removes the grant,
// so a delegated session (actor ≠ user) is also checked against the login rule itself: the actor
// must still be allowed to act as the user, or the session ends as the lost event would have ended it.
import type { Logger } from '../log/logger.js';
import type { AuthService } from '../auth/service.js';
import type { Principal } from '../auth/types.js';
import type { SessionRegistry } from './registry.js';
import { DELEGATION_REVOKED_REASON, type RevocationService } from './revocation.js';

/** Sessions checked at once: each check is a few indexed look-ups. */
const PARALLEL = 16;

export const RESYNC_REVOKED_REASON = 'Session revoked';

/** The rule a delegated login passed (administrator, or a stored grant), asked again for live sessions. */
export type DelegationRule = Pick<AuthService, 'mayActAs'>;

export interface ResyncCheck {
  registry: SessionRegistry;
  revocations: RevocationService;
  logger: Logger;
  /** Without it delegated sessions are checked against the stored revocations only. */
  delegation?: DelegationRule;
}

/**
 * Ends every live session whose principal is now revoked, and every delegated session whose actor
 * may no longer act as its user; returns how many ended.
 */
export async function endRevokedSessions({ registry, revocations, logger, delegation }: ResyncCheck): Promise<number> {
  const sessions = registry.list();
  let ended = 0;
  const whyEnd = async (p: Principal): Promise<string | undefined> => {
    if (await revocations.isRevoked(p)) return RESYNC_REVOKED_REASON;
    const actor = delegatedActor(p);
    if (actor === undefined || !delegation || (await delegation.mayActAs(actor, p.user))) return undefined;
    return DELEGATION_REVOKED_REASON;
  };
  for (let i = 0; i < sessions.length; i += PARALLEL) {
    await Promise.all(
      sessions.slice(i, i + PARALLEL).map(async (s) => {
        try {
          const reason = await whyEnd(s.principal);
          if (reason === undefined || !registry.terminate(s.id, reason)) return;
          ended += 1;
          // The line `tessera delegation revoke` leaves on the node it reached, naming both users.
          if (reason === DELEGATION_REVOKED_REASON) logger.info({ user: s.principal.user, actor: s.principal.actor, reason }, 'delegated sessions ended');
        } catch (err) {
          logger.warn({ sessionId: s.id, err: err instanceof Error ? err.message : String(err) }, 'revocation re-check after a resync failed; session kept');
        }
      }),
    );
  }
  if (ended > 0) logger.info({ ended }, 'sessions revoked while events were missed have ended');
  return ended;
}

/** The actor of a session in which someone acts as another user; undefined for one's own session. */
function delegatedActor(p: Principal): string | undefined {
  if (p.actor === undefined || p.actor.toLowerCase() === p.user.toLowerCase()) return undefined;
  return p.actor;
}
