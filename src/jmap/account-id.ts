// JMAP account ids (RFC 8620 §1.2: 1–255 octets of A-Za-z0-9, "-" and "_"). A user name such as
// demo@tessera.local is not one, so accounts are named by an opaque id derived from the user name:
// the lowercase hex SHA-256 of it, exactly as Apache James derives its JMAP account ids
// (AccountId.fromUsername). Stable across restarts and nodes, needing no storage, and the same id a
// client got from James for that user, so a James installation's clients keep their account.
import { createHash } from 'node:crypto';

/** The account a request works on: `id` on the wire, `name` (the user name) in the store. */
export interface JmapAccount {
  readonly id: string;
  readonly name: string;
}

export function jmapAccountId(user: string): string {
  return createHash('sha256').update(user, 'utf8').digest('hex');
}

export function jmapAccount(user: string): JmapAccount {
  return { id: jmapAccountId(user), name: user };
}

/**
 * Another user's account the caller reaches because its owner shared mailboxes with them (RFC 8621
 * §1.6.2, RFC 9670): what the session lists with isPersonal false and what methods may address.
 */
export interface SharedJmapAccount extends JmapAccount {
  /** No shared mailbox grants anything beyond looking and reading ("l", "r"). */
  readonly isReadOnly: boolean;
}

/** Rights that change something in a mailbox (RFC 4314 §2.1); an account with none is read-only. */
const WRITE_RIGHTS = 'swipkxtea';

/** The accounts of other users who shared at least one mailbox, from the store's sharedWith list. */
export function sharedAccounts(shared: ReadonlyArray<{ owner: string; rights: string }>): Map<string, SharedJmapAccount> {
  const rights = new Map<string, string>();
  for (const s of shared) rights.set(s.owner, (rights.get(s.owner) ?? '') + s.rights);
  const out = new Map<string, SharedJmapAccount>();
  for (const [owner, held] of rights) {
    const account = jmapAccount(owner);
    out.set(account.id, { ...account, isReadOnly: ![...WRITE_RIGHTS].some((r) => held.includes(r)) });
  }
  return out;
}
