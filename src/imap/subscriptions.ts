// Subscriptions to names that have no mailbox (RFC 3501 §6.3.6 allows subscribing to any name, and
// a DELETE must not remove the subscription). The store keeps `subscribed` on existing mailboxes
// only, so such names are remembered here, per process; LIST (SUBSCRIBED) shows them \NonExistent.

const orphans = new Map<string, Set<string>>();

function setOf(account: string): Set<string> {
  let s = orphans.get(account);
  if (!s) {
    s = new Set();
    orphans.set(account, s);
  }
  return s;
}

export function orphanSubscriptions(account: string): string[] {
  return [...(orphans.get(account) ?? [])];
}

export function addOrphanSubscription(account: string, path: string): void {
  setOf(account).add(path);
}

export function removeOrphanSubscription(account: string, path: string): boolean {
  return orphans.get(account)?.delete(path) ?? false;
}
