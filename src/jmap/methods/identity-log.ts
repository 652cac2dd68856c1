// Identity/changes (RFC 8620 §5.2) from the change log of the Identity setting, which its writers
// keep (../../store/identities.ts). The window over its stamps is the store's own
// (../../store/changes-window.ts), so Identity answers /changes exactly as Mailbox and Email do.
import type { JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import { readAccount, optInt } from './args.js';
import { classifyChanges, sinceModseq, windowChanges, type ChangeStamp } from '../../store/changes-window.js';
import { identityFloor, type IdentityLog } from '../../store/identities.js';

/** Changes per answer when the client gives no maxChanges. */
const DEFAULT_MAX_CHANGES = 5000;

/** Identity/changes from the log of the current setting (`ids`: the identities that exist now). */
export function identityChanges(
  args: JsonObject,
  ctx: MethodContext,
  current: { ids: string[]; log: IdentityLog; state: string; stored: boolean },
): MethodOutput {
  const account = readAccount(args, ctx);
  const sinceState = args.sinceState as string;
  const maxChanges = optInt(args, 'maxChanges', { min: 1 }) ?? DEFAULT_MAX_CHANGES;
  const state = Number(current.state);
  const since = sinceModseq(sinceState, state, identityFloor(current.log, current.state, current.stored));
  const stamps = current.log.stamps ?? {};
  const items: ChangeStamp<string>[] = [];
  for (const id of current.ids) {
    const s = stamps[id];
    if (s !== undefined && s.updated > since) items.push({ id, created: s.created, last: s.updated, destroyed: false });
  }
  for (const t of current.log.destroyed ?? []) {
    // Created and destroyed since `since`: the client never saw it, so it is not reported.
    if (t.destroyed > since && t.created <= since) items.push({ id: t.id, created: t.created, last: t.destroyed, destroyed: true });
  }
  const window = windowChanges(items, since, maxChanges, state);
  const lists = classifyChanges(window.items, since, (id) => id);
  return [['Identity/changes', { accountId: account.id, oldState: sinceState, newState: window.newState, hasMoreChanges: window.hasMore, ...lists }]];
}
