// Quota/get, /changes, /query, /queryChanges (RFC 9425): the account's storage and message-count
// limits. Unlimited resources have no Quota object. Changes come from two store states: the Quota
// state (bumped by every change of usage or limits) and the state at which the limits last changed
// (QuotaUsage.limitsState). Since a state after the last change of limits only `used` can have
// changed, which is answered exactly; across a change of limits, which objects existed before is
// unknown, so that is cannotCalculateChanges (the client refetches).
import { CAP_QUOTA } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { Json, JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { readAccount, optBool, optInt, pick, readIds, readProperties } from './args.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { applyWindow, queryResponse, readLimit } from './window.js';
import { compileFilter, compileSort, sortProperties, type Predicate } from './object-query.js';
import { sinceModseq } from '../../store/changes-window.js';

const PROPERTIES = ['id', 'resourceType', 'used', 'hardLimit', 'scope', 'name', 'types', 'warnLimit', 'softLimit', 'description'];

interface Quota {
  id: string;
  resourceType: 'octets' | 'count';
  used: number;
  hardLimit: number;
  scope: 'account';
  name: string;
  types: string[];
  warnLimit: null;
  softLimit: null;
  description: string;
}

interface Quotas {
  list: Quota[];
  /** Quota state now, and the Quota state at which the limits last changed. */
  state: string;
  limitsState: string;
}

async function quotas(deps: MailMethodDeps, account: string): Promise<Quotas> {
  const [usage, states] = await Promise.all([deps.store.getQuota(account), deps.store.getStates(account)]);
  const list: Quota[] = [];
  // Only a hard limit is enforced (appends over it fail), so there is no warn or soft limit to show.
  const common = { scope: 'account' as const, types: ['Email'], warnLimit: null, softLimit: null };
  if (usage.storage.limit > 0) {
    list.push({
      ...common, id: 'storage', resourceType: 'octets', used: usage.storage.used, hardLimit: usage.storage.limit,
      name: `${account} storage`, description: 'Bytes of mail stored in the account',
    });
  }
  if (usage.messages.limit > 0) {
    list.push({
      ...common, id: 'messages', resourceType: 'count', used: usage.messages.used, hardLimit: usage.messages.limit,
      name: `${account} messages`, description: 'Number of emails in the account',
    });
  }
  return { list, state: states.Quota, limitsState: usage.limitsState };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { list, state } = await quotas(deps, account.name);
  const out: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? list.map((q) => q.id)) {
    const q = list.find((x) => x.id === id);
    if (q) out.push(pick(q as unknown as Record<string, Json>, properties));
    else notFound.push(id);
  }
  return [['Quota/get', { accountId: account.id, state, list: out, notFound }]];
}

/**
 * The modseq of a client's state, if only usage changed since (limits unchanged); a state from
 * before the last change of limits is cannotCalculateChanges.
 */
function usageOnlySince(state: string, q: Quotas): number {
  const since = sinceModseq(state, Number(q.state), 0);
  if (since < Number(q.limitsState)) throw new MethodError('cannotCalculateChanges', 'the quota limits changed since that state');
  return since;
}

/** RFC 9425 §4.2: a standard /changes plus updatedProperties (["used"] when only usage changed). */
async function changes(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const sinceState = args.sinceState as string;
  optInt(args, 'maxChanges', { min: 1 });
  const q = await quotas(deps, account.name);
  const since = usageOnlySince(sinceState, q);
  // Every Quota object here tracks usage of the whole account, so any later Quota state may have
  // changed each one's `used`; there are at most two, within any maxChanges.
  const updated = since < Number(q.state) ? q.list.map((x) => x.id) : [];
  return [['Quota/changes', {
    accountId: account.id, oldState: sinceState, newState: q.state, hasMoreChanges: false,
    created: [], updated, destroyed: [], updatedProperties: updated.length ? ['used'] : null,
  }]];
}

/** RFC 9425 §4.3.1: name contains, scope and resourceType equal, types contains. */
function quotaCondition(f: JsonObject): Predicate<Quota> {
  const tests: Array<Predicate<Quota>> = [];
  for (const [k, v] of Object.entries(f)) {
    if (typeof v !== 'string') throw new MethodError('unsupportedFilter', `${k} must be a String`);
    if (k === 'name') tests.push((q) => q.name.toLowerCase().includes(v.toLowerCase()));
    else if (k === 'scope') tests.push((q) => q.scope === v);
    else if (k === 'resourceType') tests.push((q) => q.resourceType === v);
    else if (k === 'type') tests.push((q) => q.types.includes(v));
    else throw new MethodError('unsupportedFilter', `unknown filter property ${k}`);
  }
  return (q) => tests.every((t) => t(q));
}

/** RFC 9425 §4.3.2: name and used. */
const QUOTA_SORT: Record<string, (a: Quota, b: Quota) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  used: (a, b) => a.used - b.used,
};

/** Results depend on usage only through a sort by `used`; otherwise they change only with the limits. */
const sortedByUsage = (args: JsonObject): boolean => sortProperties(args.sort).includes('used');

function queryIds(list: Quota[], args: JsonObject): string[] {
  const keep = compileFilter(args.filter, quotaCondition);
  return list.filter(keep).sort(compileSort(args.sort, QUOTA_SORT, 'quotas')).map((q) => q.id);
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const { list, state } = await quotas(deps, account.name);
  const ids = queryIds(list, args);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const w = applyWindow(ids, args, limit);
  return [['Quota/query', queryResponse(account, args, limit, { ...w, queryState: state, canCalculateChanges: !sortedByUsage(args), total: ids.length })]];
}

/** RFC 9425 §4.4: with the limits unchanged and no sort by usage, the results are the same. */
async function queryChanges(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const sinceQueryState = args.sinceQueryState as string;
  optInt(args, 'maxChanges', { min: 1 });
  const q = await quotas(deps, account.name);
  const ids = queryIds(q.list, args);
  if (sortedByUsage(args) && sinceQueryState !== q.state) throw new MethodError('cannotCalculateChanges', 'results sorted by usage are not tracked');
  usageOnlySince(sinceQueryState, q);
  const out: JsonObject = { accountId: account.id, oldQueryState: sinceQueryState, newQueryState: q.state, removed: [], added: [] };
  if (optBool(args, 'calculateTotal', false)) out.total = ids.length;
  return [['Quota/queryChanges', out]];
}

export function quotaMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_QUOTA, deps, h);
  return [
    ['Quota/get', def(get)],
    ['Quota/changes', def(changes)],
    ['Quota/query', def(query)],
    ['Quota/queryChanges', def(queryChanges)],
  ];
}
