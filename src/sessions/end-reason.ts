// Whether a live (or just registered) session may go on, asked from the shared store rather than the
// bus: its principal revoked, or, for a delegated session (actor ≠ user), the actor no longer allowed
// to act as the user by the very rule the login passed (AuthService.mayActAs: an administrator, or a
// delegation grant still stored). A `tessera delegation revoke` writes no revocation, only removes the
// grant, so without the second check a session that missed its event would outlive it.
import type { AuthService } from '../auth/service.js';
import type { Principal } from '../auth/types.js';
import { DELEGATION_REVOKED_REASON, type RevocationService } from './revocation.js';

export const RESYNC_REVOKED_REASON = 'Session revoked';

/** The rule a delegated login passed, asked again for live sessions. */
export type DelegationRule = Pick<AuthService, 'mayActAs'>;

/**
 * Why the session of `principal` must end (the reason its protocol shows, as the lost event would
 * have), or undefined when it may go on. Without `delegation`, delegated sessions are checked against
 * the revocations only. Rejects when the store cannot answer.
 */
export async function endReason(principal: Principal, revocations: Pick<RevocationService, 'isRevoked'>, delegation: DelegationRule | undefined): Promise<string | undefined> {
  if (await revocations.isRevoked(principal)) return RESYNC_REVOKED_REASON;
  const actor = delegatedActor(principal);
  if (actor === undefined || !delegation || (await delegation.mayActAs(actor, principal.user))) return undefined;
  return DELEGATION_REVOKED_REASON;
}

/** The actor of a session in which someone acts as another user; undefined for one's own session. */
function delegatedActor(p: Principal): string | undefined {
  if (p.actor === undefined || p.actor.toLowerCase() === p.user.toLowerCase()) return undefined;
  return p.actor;
}
