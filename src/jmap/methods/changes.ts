// Foo/changes for the types whose change log the store keeps (Mailbox, Email, Thread, SieveScript), and the
// shared "nothing changed or cannot say" answer for types without a log (EmailSubmission).
import { MethodError } from '../errors.js';
import type { JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import { readAccount, invalid, optBool, optInt } from './args.js';
import { methodErrorFrom } from './store-errors.js';
import type { JmapAccount } from '../account-id.js';
import type { MailMethodDeps } from './deps.js';

export async function storeChanges(
  deps: MailMethodDeps,
  type: 'Mailbox' | 'Email' | 'Thread' | 'SieveScript',
  args: JsonObject,
  ctx: MethodContext,
): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const since = args.sinceState;
  if (typeof since !== 'string') throw invalid('"sinceState" must be a string');
  const maxChanges = optInt(args, 'maxChanges', { min: 1 });
  let result;
  try {
    result =
      type === 'SieveScript'
        ? { ...(await deps.store.sieveScriptChanges(account.name, since, maxChanges)), updatedProperties: null }
        : await deps.store.changes(account.name, type, since, maxChanges);
  } catch (err) {
    methodErrorFrom(err);
  }
  const out: JsonObject = {
    accountId: account.id,
    oldState: result.oldState,
    newState: result.newState,
    hasMoreChanges: result.hasMoreChanges,
    created: result.created,
    updated: result.updated,
    destroyed: result.destroyed,
  };
  if (type === 'Mailbox') out.updatedProperties = result.updatedProperties;
  return [[`${type}/changes`, out]];
}

/** For types whose only history is the current state: same state → no changes, else cannot say. */
export function stateOnlyChanges(name: string, account: JmapAccount, since: unknown, current: string): MethodOutput {
  if (typeof since !== 'string') throw invalid('"sinceState" must be a string');
  if (since !== current) throw new MethodError('cannotCalculateChanges', 'only the current state is known');
  return [[name, { accountId: account.id, oldState: since, newState: current, hasMoreChanges: false, created: [], updated: [], destroyed: [] }]];
}

/**
 * Foo/queryChanges without a query log: same query state → nothing changed, else cannot say.
 * `total` counts the query's current results; RFC 8620 §5.6 returns it when calculateTotal is true.
 */
export async function stateOnlyQueryChanges(
  name: string,
  account: JmapAccount,
  args: JsonObject,
  current: string,
  total: () => Promise<number> | number,
): Promise<MethodOutput> {
  const since = args.sinceQueryState;
  if (typeof since !== 'string') throw invalid('"sinceQueryState" must be a string');
  if (since !== current) throw new MethodError('cannotCalculateChanges', 'the query has changed since that state');
  const out: JsonObject = { accountId: account.id, oldQueryState: since, newQueryState: current, removed: [], added: [] };
  if (optBool(args, 'calculateTotal', false)) out.total = await total();
  return [[name, out]];
}
