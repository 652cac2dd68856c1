// ShareNotification/get, /changes, /query, /queryChanges and /set (destroy only) (RFC 9670 §5):
// the changes of the caller's rights on other users' mailboxes, which the store records with every
// rights change (IMAP SETACL/DELETEACL, JMAP shareWith). They live in the caller's own account.
import { CAP_PRINCIPALS } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import type { Json, JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import type { ShareNotification } from '../../store/types.js';
import { jmapAccountId } from '../account-id.js';
import { jmapRights } from '../mail/mailbox-rights.js';
import { parseUtcDate, pick, readAccount, readIds, readProperties, utcDate } from './args.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { methodErrorFrom } from './store-errors.js';
import { stateOnlyQueryChanges } from './changes.js';
import { compileFilter, compileSort, type Predicate } from './object-query.js';
import { applyWindow, queryResponse, readLimit } from './window.js';
import { readSetRequest } from './set-request.js';
import { runSet, type SetStep } from './set-engine.js';

const PROPERTIES = ['id', 'created', 'changedBy', 'objectType', 'objectAccountId', 'objectId', 'oldRights', 'newRights', 'name'];

function rightsJson(letters: string): Json {
  return letters === '' ? null : jmapRights(letters, false);
}

function toJmap(n: ShareNotification): Record<string, Json> {
  return {
    id: n.id,
    created: utcDate(n.created),
    changedBy: { name: n.changedBy, email: n.changedBy.includes('@') ? n.changedBy : null, principalId: jmapAccountId(n.changedBy) },
    objectType: 'Mailbox',
    objectAccountId: jmapAccountId(n.owner),
    objectId: n.mailboxId,
    oldRights: rightsJson(n.oldRights),
    newRights: rightsJson(n.newRights),
    name: n.name,
  };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { state, list: all } = await deps.store.shareNotifications(account.name);
  const byId = new Map(all.map((n) => [n.id, n]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((n) => n.id)) {
    const n = byId.get(id);
    if (n === undefined) notFound.push(id);
    else list.push(pick(toJmap(n), properties));
  }
  return [['ShareNotification/get', { accountId: account.id, state, list, notFound }]];
}

async function changes(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  if (typeof args.sinceState !== 'string') throw new MethodError('invalidArguments', '"sinceState" must be a string');
  const max = typeof args.maxChanges === 'number' ? args.maxChanges : undefined;
  let r;
  try {
    r = await deps.store.shareNotificationChanges(account.name, args.sinceState, max);
  } catch (err) {
    methodErrorFrom(err);
  }
  return [['ShareNotification/changes', { accountId: account.id, ...r, updated: [] }]];
}

/** One ShareNotification FilterCondition (RFC 9670 §5.3). */
function condition(f: JsonObject): Predicate<ShareNotification> {
  const tests: Array<Predicate<ShareNotification>> = [];
  for (const [k, v] of Object.entries(f)) {
    switch (k) {
      case 'after': {
        const d = parseUtcDate(v, k);
        if (d) tests.push((n) => n.created >= d);
        break;
      }
      case 'before': {
        const d = parseUtcDate(v, k);
        if (d) tests.push((n) => n.created < d);
        break;
      }
      case 'objectType':
        tests.push(() => v === 'Mailbox');
        break;
      case 'objectAccountId':
        tests.push((n) => jmapAccountId(n.owner) === v);
        break;
      default:
        throw new MethodError('unsupportedFilter', `unknown filter property ${k}`);
    }
  }
  return (n) => tests.every((t) => t(n));
}

const SORT: Record<string, (a: ShareNotification, b: ShareNotification) => number> = {
  created: (a, b) => a.created.getTime() - b.created.getTime(),
};

async function results(deps: MailMethodDeps, account: string, args: JsonObject): Promise<{ ids: string[]; state: string }> {
  const filter = compileFilter(args.filter, condition);
  const cmp = compileSort(args.sort, SORT, 'share notifications');
  const { state, list } = await deps.store.shareNotifications(account);
  return { ids: list.filter(filter).sort(cmp).map((n) => n.id), state };
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const r = await results(deps, account.name, args);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const window = applyWindow(r.ids, args, limit);
  return [['ShareNotification/query', queryResponse(account, args, limit, { ...window, queryState: r.state, canCalculateChanges: false, total: r.ids.length })]];
}

async function queryChanges(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const r = await results(deps, account.name, args);
  return stateOnlyQueryChanges('ShareNotification/queryChanges', account, args, r.state, () => r.ids.length);
}

/** RFC 9670 §5.4: notifications are created by the server and immutable; a client may only destroy them. */
const IMMUTABLE = (): never => {
  throw setError('forbidden', 'share notifications are created by the server and cannot be changed');
};

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const account = request.account;
  const state = async (): Promise<string> => (await deps.store.shareNotifications(account.name)).state;
  const refuse: SetStep<JsonObject> = { run: async (items) => ({ done: [], failed: new Map(items.map(([id]) => [id, forbidden()])) }) };
  const destroy: SetStep<null> = {
    run: async (items) => {
      const r = await deps.store.destroyShareNotifications(account.name, items.map(([id]) => id));
      return { done: r.destroyed.map((id) => [id, null]), failed: new Map(r.notFound.map((id) => [id, setError('notFound', 'no such share notification').error])) };
    },
  };
  const out = await runSet(request, ctx, {
    rules: { serverSet: PROPERTIES, immutable: [], mutable: [] },
    oldState: await state(),
    create: IMMUTABLE,
    update: refuse,
    destroy,
    newState: () => state(),
  });
  return [['ShareNotification/set', out]];
}

function forbidden(): ReturnType<typeof setError>['error'] {
  return setError('forbidden', 'share notifications are created by the server and cannot be changed').error;
}

export function shareNotificationMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_PRINCIPALS, deps, h);
  return [
    ['ShareNotification/get', def(get)],
    ['ShareNotification/changes', def(changes)],
    ['ShareNotification/query', def(query)],
    ['ShareNotification/queryChanges', def(queryChanges)],
    ['ShareNotification/set', def(set)],
  ];
}
