// <verifyIdentity>: whether an authenticated user may use an address as envelope sender. The users
// contract has no aliases, so a user owns exactly their own address: `user` itself with virtual
// hosting, or `user@<any local domain>` without it.
import type { Principal } from '../auth/types.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { Mailbox } from './proto/path.js';
import { unquoteLocalPart } from './proto/path.js';

export async function ownsAddress(
  principal: Principal,
  mailbox: Mailbox,
  users: UsersRepository,
  domains: DomainList,
): Promise<boolean> {
  const local = unquoteLocalPart(mailbox.localPart);
  const domain = mailbox.domain.toLowerCase();
  const user = principal.user.toLowerCase();
  if (`${local}@${domain}`.toLowerCase() === user) return true;
  if (!users.virtualHosting && local.toLowerCase() === user) return domains.contains(domain);
  return false;
}
