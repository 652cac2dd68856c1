// After the event bus may have missed events (a node's listening connection to PostgreSQL dropped),
// a `session-revoked` published by another node meanwhile never reached this node's registry. The
// revocations themselves are in the shared store, written before they were published, and a
// delegation taken back is the grant's absence there, so every live session is checked against the
// store again (endReason) and ends as the lost event would have ended it.
import type { Logger } from '../log/logger.js';
import type { SessionRegistry } from './registry.js';
import { DELEGATION_REVOKED_REASON, type RevocationService } from './revocation.js';
import { endReason, type DelegationRule } from './end-reason.js';

/** Sessions checked at once: each check is a few indexed look-ups. */
const PARALLEL = 16;

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
  for (let i = 0; i < sessions.length; i += PARALLEL) {
    await Promise.all(
      sessions.slice(i, i + PARALLEL).map(async (s) => {
        try {
          const reason = await endReason(s.principal, revocations, delegation);
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
