// \Recent bookkeeping (RFC 3501 §2.3.2): a message is recent in exactly one session, the first one to
// select the mailbox after it arrived. The store's claimRecent() hands UIDs out but cannot be peeked
// at, and EXAMINE and STATUS RECENT must count recent messages without claiming them; so the claim
// (the highest UID some session has seen) is kept here, per process, keyed by account, mailbox id and
// UIDVALIDITY. On several nodes \Recent is then per node, which RFC 9051 (which drops \Recent) tolerates.

const claims = new Map<string, number>();

function key(account: string, mailboxId: string, uidValidity: number): string {
  return `${account}\u0000${mailboxId}\u0000${uidValidity}`;
}

/** Highest UID already claimed by some session (0 when none). */
export function recentClaim(account: string, mailboxId: string, uidValidity: number): number {
  return claims.get(key(account, mailboxId, uidValidity)) ?? 0;
}

/** Claims all UIDs up to `uid`; returns the previous claim. */
export function claimRecent(account: string, mailboxId: string, uidValidity: number, uid: number): number {
  const k = key(account, mailboxId, uidValidity);
  const prev = claims.get(k) ?? 0;
  if (uid > prev) claims.set(k, uid);
  return prev;
}

/** Forgets claims of a deleted or renamed mailbox. */
export function forgetRecent(account: string, mailboxId: string): void {
  const prefix = `${account}\u0000${mailboxId}\u0000`;
  for (const k of claims.keys()) if (k.startsWith(prefix)) claims.delete(k);
}
