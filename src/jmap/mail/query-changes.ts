// Foo/queryChanges (RFC 8620 §5.6) computed from a type's change log (Email, Mailbox): every object
// created, updated or destroyed since the old query state is reported as removed, and those that
// match the query now are re-added at their current index. Over-reporting is allowed by the RFC and keeps a
// client's cached list exact. Queries whose results depend on other emails of the thread
// (collapseThreads, thread-keyword filters and sorts) cannot be answered this way.
import { MethodError } from '../errors.js';
import type { EmailQueryRequest, SearchCriteria, SearchStore, StateStore } from '../../store/types.js';
import { CannotCalculateChangesError } from '../../store/errors.js';

export interface QueryChangesResult {
  oldQueryState: string;
  newQueryState: string;
  removed: string[];
  added: Array<{ id: string; index: number }>;
  total: number;
}

function dependsOnThread(c: SearchCriteria): boolean {
  switch (c.kind) {
    case 'threadKeyword':
    case 'threadIds':
      return true;
    case 'and':
    case 'or':
      return c.of.some(dependsOnThread);
    case 'not':
      return dependsOnThread(c.of);
    default:
      return false;
  }
}

/**
 * Whether an email's place in the results depends on other emails of its thread; such queries have
 * no Email/queryChanges (their Email/query says canCalculateChanges: false).
 */
export function threadSensitive(query: EmailQueryRequest): boolean {
  return (
    query.collapseThreads === true ||
    dependsOnThread(query.filter) ||
    (query.sort ?? []).some((s) => s.key === 'allInThreadHaveKeyword' || s.key === 'someInThreadHaveKeyword')
  );
}

export async function emailQueryChanges(
  store: SearchStore & StateStore,
  account: string,
  query: EmailQueryRequest,
  sinceQueryState: string,
  maxChanges: number | undefined,
  upToId: string | undefined,
): Promise<QueryChangesResult> {
  const current = await store.queryEmails(account, { ...query, position: 0 });
  if (sinceQueryState !== current.queryState && threadSensitive(query)) {
    throw new MethodError('cannotCalculateChanges', 'results depend on whole threads; query again');
  }
  return changeLogQueryChanges(store, account, 'Email', current, sinceQueryState, maxChanges, upToId);
}

/** A query's complete current results, in order, and the state they were computed at. */
export interface CurrentResults {
  ids: string[];
  queryState: string;
  total: number;
}

/**
 * Foo/queryChanges for a type whose query state is its /changes state and whose filter and sort
 * depend only on each object's own properties: every object created, updated or destroyed since
 * the old state is removed, and re-added at its current index if it matches now.
 */
export async function changeLogQueryChanges(
  store: StateStore,
  account: string,
  type: 'Email' | 'Mailbox',
  current: CurrentResults,
  sinceQueryState: string,
  maxChanges: number | undefined,
  upToId: string | undefined,
): Promise<QueryChangesResult> {
  if (sinceQueryState === current.queryState) {
    return { oldQueryState: sinceQueryState, newQueryState: current.queryState, removed: [], added: [], total: current.total };
  }
  const changed = new Set<string>();
  let since = sinceQueryState;
  // Read the whole log up to now in pages; the store's maxChanges is a page size here.
  for (let pages = 0; pages < 1000; pages++) {
    let page;
    try {
      page = await store.changes(account, type, since, 5000);
    } catch (err) {
      if (err instanceof CannotCalculateChangesError) throw new MethodError('cannotCalculateChanges');
      throw err;
    }
    for (const id of [...page.created, ...page.updated, ...page.destroyed]) changed.add(id);
    since = page.newState;
    if (!page.hasMoreChanges) break;
  }
  const added: Array<{ id: string; index: number }> = [];
  // Past upToId the client keeps nothing cached, so it needs no additions there.
  const stopAt = upToId === undefined ? -1 : current.ids.indexOf(upToId);
  for (const [index, id] of current.ids.entries()) {
    if (stopAt >= 0 && index > stopAt) break;
    if (changed.has(id)) added.push({ id, index });
  }
  const removed = [...changed];
  if (maxChanges !== undefined && removed.length + added.length > maxChanges) throw new MethodError('tooManyChanges');
  return { oldQueryState: sinceQueryState, newQueryState: current.queryState, removed, added, total: current.total };
}
