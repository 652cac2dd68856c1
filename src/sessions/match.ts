// Which live sessions a revocation names. Each given field names a set and the revocation ends their
// union, except that `sub` is only used when there is no `sid`: a logout token carrying both names one
// OP session (of that subject), not every session of the subject (Back-Channel Logout 1.0 §2.4).
import type { Principal } from '../auth/types.js';
import type { RevocationCriteria } from './types.js';

export function namesSomething(c: RevocationCriteria): boolean {
  return Boolean(c.sid || c.sub || c.jti || c.user || c.credential);
}

export function principalMatches(p: Principal, c: RevocationCriteria): boolean {
  // A delegation taken back names the sessions of one actor acting as one user, and nothing else.
  if (c.actor) return p.actor?.toLowerCase() === c.actor.toLowerCase() && c.user !== undefined && p.user.toLowerCase() === c.user.toLowerCase();
  const sameIssuer = c.issuer === undefined || c.issuer === '' || p.issuer === c.issuer;
  if (c.sid) {
    if (p.sid === c.sid && sameIssuer) return true;
  } else if (c.sub) {
    if (p.subject === c.sub && sameIssuer) return true;
  }
  if (c.jti && p.jti === c.jti && sameIssuer) return true;
  if (c.user && p.user.toLowerCase() === c.user.toLowerCase()) return true;
  if (c.credential && p.credentialId === c.credential) return true;
  return false;
}
