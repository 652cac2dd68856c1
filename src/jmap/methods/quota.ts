// Quota/get, /changes, /query, /queryChanges (RFC 9425): the account's storage and message-count
// limits. Unlimited resources have no Quota object.
import { CAP_QUOTA } from '../capabilities.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { MethodError } from '../errors.js';
import { readAccount, pick, readIds, readProperties } from './args.js';
import { stateOnlyChanges, stateOnlyQueryChanges } from './changes.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { applyWindow, queryResponse, readLimit } from './window.js';

const PROPERTIES = ['id', 'resourceType', 'used', 'hardLimit', 'scope', 'name', 'types', 'warnLimit', 'softLimit', 'description'];

async function quotas(deps: MailMethodDeps, account: string): Promise<{ list: Array<Record<string, Json>>; state: string }> {
  const [usage, states] = await Promise.all([deps.store.getQuota(account), deps.store.getStates(account)]);
  const list: Array<Record<string, Json>> = [];
  if (usage.storage.limit > 0) {
    list.push({
      id: 'storage', resourceType: 'octets', used: usage.storage.used, hardLimit: usage.storage.limit, scope: 'account',
      name: `${account} storage`, types: ['Email'], description: 'Bytes of mail stored in the account',
    });
  }
  if (usage.messages.limit > 0) {
    list.push({
      id: 'messages', resourceType: 'count', used: usage.messages.used, hardLimit: usage.messages.limit, scope: 'account',
      name: `${account} messages`, types: ['Email'], description: 'Number of emails in the account',
    });
  }
  return { list, state: states.Quota };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { list, state } = await quotas(deps, account.name);
  const out: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? list.map((q) => q.id as string)) {
    const q = list.find((x) => x.id === id);
    if (q) out.push(pick(q, properties));
    else notFound.push(id);
  }
  return [['Quota/get', { accountId: account.id, state, list: out, notFound }]];
}

function matches(q: Record<string, Json>, filter: Json | undefined): boolean {
  if (filter === undefined || filter === null) return true;
  if (!isJsonObject(filter)) throw new MethodError('unsupportedFilter');
  for (const [k, v] of Object.entries(filter)) {
    if (k === 'name' && typeof v === 'string') {
      if (!String(q.name).toLowerCase().includes(v.toLowerCase())) return false;
    } else if (k === 'scope' || k === 'resourceType') {
      if (!Array.isArray(v) || !v.includes(q[k] as Json)) return false;
    } else if (k === 'type' && typeof v === 'string') {
      if (!(q.types as Json[]).includes(v)) return false;
    } else throw new MethodError('unsupportedFilter', `unknown filter ${k}`);
  }
  return true;
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const { list, state } = await quotas(deps, account.name);
  if (args.sort !== undefined && args.sort !== null) {
    if (!Array.isArray(args.sort) || args.sort.some((c) => !isJsonObject(c) || !['name', 'used'].includes(String(c.property)))) {
      throw new MethodError('unsupportedSort');
    }
  }
  const ids = list.filter((q) => matches(q, args.filter)).map((q) => q.id as string);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const w = applyWindow(ids, args, limit);
  return [['Quota/query', queryResponse(account, args, limit, { ...w, queryState: state, canCalculateChanges: false, total: ids.length })]];
}

export function quotaMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_QUOTA, deps, h);
  return [
    ['Quota/get', def(get)],
    ['Quota/changes', def(async (d, a, c) => {
      const account = readAccount(a, c);
      return stateOnlyChanges('Quota/changes', account, a.sinceState, (await quotas(d, account.name)).state);
    })],
    ['Quota/query', def(query)],
    ['Quota/queryChanges', def(async (d, a, c) => {
      const account = readAccount(a, c);
      const { list, state } = await quotas(d, account.name);
      return stateOnlyQueryChanges('Quota/queryChanges', account, a, state, () => list.filter((q) => matches(q, a.filter)).length);
    })],
  ];
}
