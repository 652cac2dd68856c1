// Mailbox/get, /changes, /query, /queryChanges, /set (RFC 8621 §2).
import { CAP_MAIL } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import type { Mailbox, MailboxRole, MailboxUpdate } from '../../store/types.js';
import { isWellFormedUnicode, invalid, readAccount, optBool, optInt, optString, pick, readIds, readProperties, resolveId } from './args.js';
import { checkedEachStep, eachStep, runSet, storeState } from './set-engine.js';
import type { PropertyErrors, SetPropertyRules } from './set-properties.js';
import { readSetRequest } from './set-request.js';
import { storeChanges } from './changes.js';
import { changeLogQueryChanges, type CurrentResults } from '../mail/query-changes.js';
import { setFailureFrom } from './store-errors.js';
import { defineMethod, type MailHandler } from './define.js';
import { applyWindow, queryResponse, readLimit } from './window.js';
import { compileFilter, compileSort, type Predicate } from './object-query.js';
import type { MailMethodDeps } from './deps.js';
import { ALL_RIGHTS } from '../../store/rights.js';
import { jmapAccountId } from '../account-id.js';
import {
  applyShareWith, currentShareWith, jmapRights, readShareWith, shareWithJson, UnknownPrincipalError, writeShareWith, type ShareWithChange,
} from '../mail/mailbox-rights.js';

const PROPERTIES = [
  'id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed', 'shareWith',
];
/** What Mailbox/get returns when the client names no properties: shareWith costs a lookup per mailbox. */
const DEFAULT_PROPERTIES = PROPERTIES.filter((p) => p !== 'shareWith');
const ROLES = new Set<MailboxRole>(['inbox', 'drafts', 'sent', 'trash', 'junk', 'archive', 'all', 'flagged', 'important', 'snoozed']);

/**
 * A mailbox as JMAP shows it to a user holding `rights` on it (the owner: every right). shareWith is
 * added by the caller when asked for (it needs the ACL).
 */
export function toJmapMailbox(m: Mailbox, rights = ALL_RIGHTS, isOwner = true): Record<string, Json> {
  return {
    id: m.id,
    name: m.name,
    parentId: m.parentId,
    role: m.role,
    sortOrder: m.sortOrder,
    totalEmails: m.totalEmails,
    unreadEmails: m.unreadEmails,
    totalThreads: m.totalThreads,
    unreadThreads: m.unreadThreads,
    myRights: jmapRights(rights, isOwner && m.role === 'inbox'),
    // Subscriptions are the owner's; another user's view of a shared mailbox is never subscribed.
    isSubscribed: isOwner ? m.subscribed : false,
  };
}

/** The caller's rights on each mailbox of `owner` they can see (every right on their own). */
async function rightsOn(deps: MailMethodDeps, owner: string, ctx: MethodContext): Promise<(mailboxId: string) => string> {
  if (owner === ctx.account.name) return () => ALL_RIGHTS;
  const shared = await deps.store.sharedWith(ctx.actor);
  const grants = new Map(shared.filter((s) => s.owner === owner).map((s) => [s.mailbox.id, s.rights]));
  return (id) => grants.get(id) ?? '';
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), DEFAULT_PROPERTIES);
  // State first: if a change lands while we read, the client sees an old state and refetches.
  const state = (await deps.store.getStates(account.name)).Mailbox;
  const all = await deps.store.listMailboxes(account.name);
  const rights = await rightsOn(deps, account.name, ctx);
  const isOwner = account.name === ctx.account.name;
  const byId = new Map(all.map((m) => [m.id, m]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((m) => m.id)) {
    const m = byId.get(id);
    if (m === undefined) {
      notFound.push(id);
      continue;
    }
    const view = toJmapMailbox(m, rights(m.id), isOwner);
    // RFC 9670 §1.4: shareWith is null for a user who may not administer the mailbox.
    if (properties.includes('shareWith')) {
      view.shareWith = rights(m.id).includes('a') ? shareWithJson(await currentShareWith(deps.store, account.name, m.id, jmapAccountId)) : null;
    }
    list.push(pick(view, properties));
  }
  return [['Mailbox/get', { accountId: account.id, state, list, notFound }]];
}

type MailboxFilter = Predicate<Mailbox>;

/** One Mailbox FilterCondition (RFC 8621 §2.3). */
function mailboxCondition(f: JsonObject): MailboxFilter {
  const tests: MailboxFilter[] = [];
  for (const [k, v] of Object.entries(f)) {
    switch (k) {
      case 'parentId':
        tests.push((m) => m.parentId === v);
        break;
      case 'name':
        if (typeof v !== 'string') throw new MethodError('unsupportedFilter', 'name must be a string');
        tests.push((m) => m.name.toLowerCase().includes(v.toLowerCase()));
        break;
      case 'role':
        tests.push((m) => m.role === v);
        break;
      case 'hasAnyRole':
        tests.push((m) => (m.role !== null) === v);
        break;
      case 'isSubscribed':
        tests.push((m) => m.subscribed === v);
        break;
      default:
        throw new MethodError('unsupportedFilter', `unknown filter property ${k}`);
    }
  }
  return (m) => tests.every((t) => t(m));
}

const MAILBOX_SORT: Record<string, (a: Mailbox, b: Mailbox) => number> = {
  sortOrder: (a, b) => a.sortOrder - b.sortOrder,
  name: (a, b) => a.name.localeCompare(b.name),
};

/** Depth-first order: each parent directly followed by its children, siblings in sort order. */
function asTree(sorted: Mailbox[], all: Mailbox[], filterAsTree: boolean, keep: MailboxFilter): Mailbox[] {
  const byParent = new Map<string | null, Mailbox[]>();
  const ids = new Set(all.map((m) => m.id));
  for (const m of sorted) {
    const parent = m.parentId !== null && ids.has(m.parentId) ? m.parentId : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), m]);
  }
  const out: Mailbox[] = [];
  const visit = (parent: string | null): void => {
    for (const m of byParent.get(parent) ?? []) {
      const matches = keep(m);
      // filterAsTree: a non-matching mailbox hides its whole subtree.
      if (filterAsTree && !matches) continue;
      if (matches) out.push(m);
      visit(m.id);
    }
  };
  visit(null);
  return out;
}

/** The query's complete results, before windowing, and whether a change log can say how they changed. */
async function mailboxResults(deps: MailMethodDeps, account: string, args: JsonObject): Promise<CurrentResults & { canCalculateChanges: boolean }> {
  const filter = compileFilter(args.filter, mailboxCondition);
  const cmp = compileSort(args.sort, MAILBOX_SORT, 'mailboxes');
  const sortAsTree = optBool(args, 'sortAsTree', false);
  const filterAsTree = optBool(args, 'filterAsTree', false);
  const queryState = (await deps.store.getStates(account)).Mailbox;
  const all = await deps.store.listMailboxes(account);
  const sorted = [...all].sort(cmp);
  const matching = sortAsTree || filterAsTree ? asTree(sorted, all, filterAsTree, filter) : sorted.filter(filter);
  const ids = matching.map((m) => m.id);
  // As a tree, a mailbox's place depends on its ancestors too, which a per-mailbox log cannot follow.
  return { ids, queryState, total: ids.length, canCalculateChanges: !sortAsTree && !filterAsTree };
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const r = await mailboxResults(deps, account.name, args);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const window = applyWindow(r.ids, args, limit);
  return [['Mailbox/query', queryResponse(account, args, limit, { ...window, queryState: r.queryState, canCalculateChanges: r.canCalculateChanges, total: r.total })]];
}

async function queryChanges(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const since = optString(args, 'sinceQueryState');
  if (since === undefined) throw invalid('"sinceQueryState" is required');
  const current = await mailboxResults(deps, account.name, args);
  if (since !== current.queryState && !current.canCalculateChanges) {
    throw new MethodError('cannotCalculateChanges', 'results sorted or filtered as a tree; query again');
  }
  const r = await changeLogQueryChanges(deps.store, account.name, 'Mailbox', current, since, optInt(args, 'maxChanges', { min: 1 }), optString(args, 'upToId'));
  const out: JsonObject = { accountId: account.id, oldQueryState: r.oldQueryState, newQueryState: r.newQueryState, removed: r.removed, added: r.added };
  if (optBool(args, 'calculateTotal', false)) out.total = r.total;
  return [['Mailbox/queryChanges', out]];
}

function readRole(v: Json | undefined): MailboxRole | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'string' || !ROLES.has(v as MailboxRole)) {
    throw setError('invalidProperties', `unsupported role ${JSON.stringify(v)}`, { properties: ['role'] });
  }
  return v as MailboxRole;
}

const RULES: SetPropertyRules = {
  serverSet: ['id', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights'],
  immutable: [],
  mutable: ['name', 'parentId', 'role', 'sortOrder', 'isSubscribed', 'shareWith'],
};

/**
 * RFC 8621 §2: a name is a Net-Unicode string (RFC 5198): no control characters, and no lone
 * surrogate (JSON can spell one, "\ud800", but UTF-8 cannot hold it, so it would be stored as U+FFFD).
 */
function isNetUnicode(name: string): boolean {
  return !/[\u0000-\u001f\u007f-\u009f]/.test(name) && isWellFormedUnicode(name);
}

/** Reads the writable properties of a create or a checked patch, recording every bad value in errors. */
function readMailboxProps(obj: JsonObject, ctx: MethodContext, errors: PropertyErrors): MailboxUpdate {
  const update: MailboxUpdate = {};
  const bad: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    // shareWith is the ACL's, read by readShareWith.
    if (k === 'shareWith' || k.startsWith('shareWith/')) continue;
    switch (k) {
      case 'name':
        if (typeof v === 'string' && v.length > 0 && v.length <= 490 && isNetUnicode(v)) update.name = v;
        else bad.push(k);
        break;
      case 'parentId':
        if (v === null) update.parentId = null;
        else if (typeof v === 'string') {
          const id = resolveId(v, ctx);
          if (id === undefined) bad.push(k);
          else update.parentId = id;
        } else bad.push(k);
        break;
      case 'role': {
        const role = errors.read(() => readRole(v));
        if (role !== undefined) update.role = role;
        break;
      }
      case 'sortOrder':
        if (typeof v === 'number' && Number.isInteger(v) && v >= 0) update.sortOrder = v;
        else bad.push(k);
        break;
      case 'isSubscribed':
        if (typeof v === 'boolean') update.subscribed = v;
        else bad.push(k);
        break;
      default:
        // A pointer into a scalar property ("name/x") patches nothing that exists.
        bad.push(k);
    }
  }
  errors.add(bad, bad.length > 0 ? `invalid ${bad.join(', ')}` : undefined);
  return update;
}

/** shareWith keys of a create or patch, recorded in errors when bad; undefined when none. */
function readShareChange(obj: JsonObject, errors: PropertyErrors): ShareWithChange | undefined {
  const change = readShareWith(obj);
  if (!Array.isArray(change)) return change;
  errors.add(change, 'shareWith maps principal ids to MailboxRights objects');
  return undefined;
}

/** Writes a shareWith change through the caller's view (the store checks "a" on another's mailbox). */
async function applyShareChange(deps: MailMethodDeps, owner: string, mailboxId: string, change: ShareWithChange): Promise<void> {
  if (deps.users === undefined) throw setError('invalidProperties', 'this server has no principals to share with', { properties: ['shareWith'] });
  const users = new Map((await deps.users.list()).map((u) => [jmapAccountId(u.username), u.username]));
  try {
    const current = await currentShareWith(deps.store, owner, mailboxId, jmapAccountId);
    await writeShareWith(deps.store, owner, mailboxId, current, applyShareWith(current, change), users);
  } catch (err) {
    if (err instanceof UnknownPrincipalError) throw setError('invalidProperties', err.message, { properties: ['shareWith'] });
    throw setFailureFrom(err);
  }
}

interface MailboxPatch {
  update: MailboxUpdate;
  share: ShareWithChange | undefined;
}

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const removeEmails = optBool(args, 'onDestroyRemoveEmails', false);
  const account = request.account;
  const store = deps.store;
  const rights = await rightsOn(deps, account.name, ctx);
  const isOwner = account.name === ctx.account.name;
  const out = await runSet(request, ctx, {
    rules: RULES,
    ...(await storeState(store, account.name, 'Mailbox')),
    current: async (id) => {
      const m = (await store.listMailboxes(account.name)).find((x) => x.id === id);
      return m === undefined ? undefined : toJmapMailbox(m, rights(id), isOwner);
    },
    create: {
      prepare: (obj, _cid, errors): MailboxPatch => {
        const p = readMailboxProps(obj, ctx, errors);
        if (p.name === undefined && !('name' in obj)) errors.add(['name'], 'name is required');
        return { update: p, share: readShareChange(obj, errors) };
      },
      commit: async ({ update: p, share }: MailboxPatch) => {
        let m: Mailbox;
        try {
          m = await store.createMailbox(account.name, {
            name: p.name ?? '',
            parentId: p.parentId ?? null,
            role: p.role ?? null,
            subscribed: p.subscribed ?? false,
            sortOrder: p.sortOrder ?? 0,
          });
        } catch (err) {
          throw setFailureFrom(err, 'parentId');
        }
        if (share !== undefined) await applyShareChange(deps, account.name, m.id, share);
        const full = toJmapMailbox(m, isOwner ? ALL_RIGHTS : await deps.store.myRights(ctx.actor, account.name, m.id), isOwner);
        return {
          id: m.id, totalEmails: full.totalEmails ?? 0, unreadEmails: full.unreadEmails ?? 0, totalThreads: full.totalThreads ?? 0,
          unreadThreads: full.unreadThreads ?? 0, myRights: full.myRights ?? null, isSubscribed: m.subscribed, sortOrder: m.sortOrder,
        };
      },
    },
    update: checkedEachStep(
      (id, patch: JsonObject, errors): MailboxPatch => {
        const p = readMailboxProps(patch, ctx, errors);
        if (p.parentId !== undefined && p.parentId === id) errors.add(['parentId'], 'a mailbox cannot be its own parent');
        return { update: p, share: readShareChange(patch, errors) };
      },
      async (id, { update, share }) => {
        // A patch of shareWith alone changes the ACL only (RFC 9670: the "a" right, not the mailbox's).
        if (share === undefined || Object.keys(update).length > 0) {
          try {
            await store.updateMailbox(account.name, id, update);
          } catch (err) {
            throw setFailureFrom(err);
          }
        }
        if (share !== undefined) await applyShareChange(deps, account.name, id, share);
        return null;
      },
    ),
    destroy: eachStep(async (id) => {
      try {
        await store.deleteMailbox(account.name, id, { removeEmails });
      } catch (err) {
        throw setFailureFrom(err);
      }
    }),
  });
  return [['Mailbox/set', out]];
}

export function mailboxMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_MAIL, deps, h);
  return [
    ['Mailbox/get', def(get)],
    ['Mailbox/changes', def((d, a, c) => storeChanges(d, 'Mailbox', a, c))],
    ['Mailbox/query', def(query)],
    ['Mailbox/queryChanges', def(queryChanges)],
    ['Mailbox/set', def(set)],
  ];
}
