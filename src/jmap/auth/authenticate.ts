// Runs the configured strategies in order (James `authentication.strategy.rfc8621`). The first
// strategy that accepts wins; a transient failure (provider down, throttled) is answered at once so
// clients retry rather than re-prompt; when nothing accepts, 401 carries one challenge per strategy.
// An accepted principal whose token or OP session was revoked is refused like a bad credential.
import type { AuthFailure, Principal } from '../../auth/types.js';
import type { AuthStrategy, HttpAuthRequest } from './types.js';

export type AuthDecision =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 400 | 429 | 503; challenges: string[]; failure: AuthFailure };

export async function authenticateRequest(
  strategies: readonly AuthStrategy[],
  req: HttpAuthRequest,
  isRevoked: (principal: Principal) => Promise<boolean> = async () => false,
): Promise<AuthDecision> {
  const challenges = [...new Set(strategies.map((s) => s.challenge()).filter((c): c is string => c !== undefined))];
  let refusal: AuthFailure | undefined;
  for (const strategy of strategies) {
    const outcome = await strategy.authenticate(req);
    if (outcome.kind === 'accepted') {
      if (await isRevoked(outcome.principal)) {
        return { ok: false, status: 401, challenges, failure: { code: 'invalid', message: 'session revoked' } };
      }
      return { ok: true, principal: outcome.principal };
    }
    if (outcome.kind === 'refused') {
      if (outcome.failure.code === 'temporary') return { ok: false, status: 503, challenges, failure: outcome.failure };
      if (outcome.failure.code === 'throttled') return { ok: false, status: 429, challenges, failure: outcome.failure };
      refusal ??= outcome.failure;
    }
  }
  const failure = refusal ?? { code: 'invalid', message: 'authentication required' };
  return { ok: false, status: failure.code === 'malformed' ? 400 : 401, challenges, failure };
}
