// After the event bus may have missed events (a node's listening connection to PostgreSQL dropped),
// a `session-revoked` published by another node meanwhile never reached this node's registry. The
// revocations themselves are in the shared store, written before they were published, so every live
// session is checked against them again and the revoked ones end, as the lost event would have done.
import type { Logger } from '../log/logger.js';
import type { SessionRegistry } from './registry.js';
import type { RevocationService } from './revocation.js';

/** Sessions checked at once: each check is a few indexed look-ups. */
const PARALLEL = 16;

export const RESYNC_REVOKED_REASON = 'Session revoked';

/** Ends every live session whose principal is now revoked; returns how many ended. */
export async function endRevokedSessions(registry: SessionRegistry, revocations: RevocationService, logger: Logger): Promise<number> {
  const sessions = registry.list();
  let ended = 0;
  for (let i = 0; i < sessions.length; i += PARALLEL) {
    await Promise.all(
      sessions.slice(i, i + PARALLEL).map(async (s) => {
        try {
          if ((await revocations.isRevoked(s.principal)) && registry.terminate(s.id, RESYNC_REVOKED_REASON)) ended += 1;
        } catch (err) {
          logger.warn({ sessionId: s.id, err: err instanceof Error ? err.message : String(err) }, 'revocation re-check after a resync failed; session kept');
        }
      }),
    );
  }
  if (ended > 0) logger.info({ ended }, 'sessions revoked while events were missed have ended');
  return ended;
}
