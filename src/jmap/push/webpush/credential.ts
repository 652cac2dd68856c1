// RFC 8620 §7.2: a push subscription "is tied to the credentials used to authenticate the API
// request that created it"; only requests with the same credentials see it, and it is destroyed
// when they are revoked. What "the same credentials" means here:
//  - a password (Basic; an administrator acting as the user is a credential of its own) or an
//    X-User identity from the gateway: that user's password / gateway identity;
//  - an OpenID token: not the access token itself (it lives minutes), but what it stands for, as
//    the RFC advises for OAuth (tie to the refresh token's validity): the OP session (`sid`) of that
//    client, or without one the subject, at that issuer. Session control revokes by the same names.
import type { Principal } from '../../../auth/types.js';
import type { PushCredentialBinding } from '../../../store/types.js';

export function credentialOf(principal: Principal): PushCredentialBinding {
  const issuer = principal.issuer;
  if (issuer !== undefined && (principal.sid !== undefined || principal.subject !== undefined)) {
    const who = principal.sid !== undefined ? `sid ${principal.sid}` : `sub ${principal.subject}`;
    return {
      credential: `token ${issuer} ${principal.clientId ?? ''} ${who}`,
      issuer,
      ...(principal.sid !== undefined ? { sid: principal.sid } : {}),
      ...(principal.subject !== undefined ? { subject: principal.subject } : {}),
    };
  }
  if (issuer !== undefined) return { credential: `token ${issuer} ${principal.clientId ?? ''}`, issuer };
  const actor = principal.actor !== undefined ? ` as ${principal.actor}` : '';
  return { credential: `${principal.mechanism.toLowerCase()}${actor}` };
}
