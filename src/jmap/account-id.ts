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
