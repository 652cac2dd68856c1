// <verifyIdentity>: whether an authenticated user may use an address as sender. The users contract
// has no aliases, so a user owns exactly their own address: `user` itself with virtual hosting, or
// `user@<any local domain>` without it — and its subaddresses (`user+detail@…`), as in James. An owned address is always in a local domain (James checks
// both "the user may send from it" and "it belongs to a local domain").
import type { Principal } from '../auth/types.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { splitSubaddress } from '../mime/subaddress.js';

/** An address split at its last `@`; the local part unquoted. */
export interface SenderAddress {
  local: string;
  domain: string;
}

export async function ownsAddress(
  principal: Principal,
  address: SenderAddress,
  users: UsersRepository,
  domains: DomainList,
): Promise<boolean> {
  const domain = address.domain.toLowerCase();
  const user = principal.user.toLowerCase();
  // The address itself, or its mailbox without the subaddress (alice+lists@ is alice's, RFC 5233).
  const locals = new Set([address.local.toLowerCase(), splitSubaddress(address.local).user.toLowerCase()]);
  for (const local of locals) {
    if (`${local}@${domain}` === user) return domains.contains(domain);
    if (!users.virtualHosting && local === user) return domains.contains(domain);
  }
  return false;
}
