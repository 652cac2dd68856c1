// Principal/get, /changes, /query, /queryChanges (RFC 9670 §3): every user of the users repository
// as an "individual" principal whose id is the user's JMAP account id, so a principal id names the
// account it owns and the key of Mailbox shareWith. Principals are listed in the caller's own
// account (its urn:ietf:params:jmap:principals capability). The users repository keeps no change
// log, so the state is a digest of the list: /changes from another state is cannotCalculateChanges.
import { createHash } from 'node:crypto';
import { CAP_PRINCIPALS } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { Json, JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { jmapAccountId } from '../account-id.js';
import { pick, readAccount, readIds, readProperties } from './args.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps, PrincipalDirectory } from './deps.js';
import { stateOnlyChanges, stateOnlyQueryChanges } from './changes.js';
import { compileFilter, compileSort, type Predicate } from './object-query.js';
import { applyWindow, queryResponse, readLimit } from './window.js';

const PROPERTIES = ['id', 'type', 'name', 'description', 'email', 'timeZone', 'capabilities', 'accounts'];

interface PrincipalRecord {
  id: string;
  name: string;
  email: string | null;
}

async function principals(users: PrincipalDirectory): Promise<PrincipalRecord[]> {
  const list = await users.list();
  return list
    .map((u) => ({ id: jmapAccountId(u.username), name: u.username, email: u.username.includes('@') ? u.username : null }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function stateOf(list: readonly PrincipalRecord[]): string {
  return createHash('sha256').update(list.map((p) => p.name).join('\n')).digest('base64url').slice(0, 16);
}

function toJmap(p: PrincipalRecord): Record<string, Json> {
  return { id: p.id, type: 'individual', name: p.name, description: null, email: p.email, timeZone: null, capabilities: {}, accounts: null };
}

function directory(deps: MailMethodDeps): PrincipalDirectory {
  if (deps.users === undefined) throw new MethodError('unknownMethod', 'this server lists no principals');
  return deps.users;
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const all = await principals(directory(deps));
  const byId = new Map(all.map((p) => [p.id, p]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((p) => p.id)) {
    const p = byId.get(id);
    if (p === undefined) notFound.push(id);
    else list.push(pick(toJmap(p), properties));
  }
  return [['Principal/get', { accountId: account.id, state: stateOf(all), list, notFound }]];
}

/** One Principal FilterCondition (RFC 9670 §3.3.1). */
function condition(f: JsonObject): Predicate<PrincipalRecord> {
  const tests: Array<Predicate<PrincipalRecord>> = [];
  const text = (v: Json, what: string): string => {
    if (typeof v !== 'string') throw new MethodError('unsupportedFilter', `${what} must be a string`);
    return v.toLowerCase();
  };
  for (const [k, v] of Object.entries(f)) {
    switch (k) {
      case 'accountIds': {
        if (!Array.isArray(v)) throw new MethodError('unsupportedFilter', 'accountIds must be a list');
        const ids = new Set(v);
        tests.push((p) => ids.has(p.id));
        break;
      }
      case 'email': {
        const s = text(v, k);
        tests.push((p) => p.email !== null && p.email.toLowerCase().includes(s));
        break;
      }
      case 'name': {
        const s = text(v, k);
        tests.push((p) => p.name.toLowerCase().includes(s));
        break;
      }
      case 'text': {
        const s = text(v, k);
        tests.push((p) => p.name.toLowerCase().includes(s) || (p.email ?? '').toLowerCase().includes(s));
        break;
      }
      case 'type':
        tests.push(() => v === 'individual');
        break;
      case 'timeZone':
        tests.push(() => false);
        break;
      default:
        throw new MethodError('unsupportedFilter', `unknown filter property ${k}`);
    }
  }
  return (p) => tests.every((t) => t(p));
}

const SORT: Record<string, (a: PrincipalRecord, b: PrincipalRecord) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  email: (a, b) => (a.email ?? '').localeCompare(b.email ?? ''),
};

async function results(deps: MailMethodDeps, args: JsonObject): Promise<{ ids: string[]; state: string }> {
  const filter = compileFilter(args.filter, condition);
  const cmp = compileSort(args.sort, SORT, 'principals');
  const all = await principals(directory(deps));
  return { ids: all.filter(filter).sort(cmp).map((p) => p.id), state: stateOf(all) };
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const r = await results(deps, args);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const window = applyWindow(r.ids, args, limit);
  return [['Principal/query', queryResponse(account, args, limit, { ...window, queryState: r.state, canCalculateChanges: false, total: r.ids.length })]];
}

async function changes(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  return stateOnlyChanges('Principal/changes', account, args.sinceState, stateOf(await principals(directory(deps))));
}

async function queryChanges(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const r = await results(deps, args);
  return stateOnlyQueryChanges('Principal/queryChanges', account, args, r.state, () => r.ids.length);
}

export function principalMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_PRINCIPALS, deps, h);
  return [
    ['Principal/get', def(get)],
    ['Principal/changes', def(changes)],
    ['Principal/query', def(query)],
    ['Principal/queryChanges', def(queryChanges)],
  ];
}
