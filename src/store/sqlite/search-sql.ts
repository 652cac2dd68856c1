// Compiles the SearchCriteria AST and sort comparators to SQL over `email e` (and `msg m` for
// searches inside one mailbox). Text criteria use the trigram FTS index for needles of 3+
// characters (resolved to the exact set of matching email ids by the index worker first:
// ftsQueries, then FtsMatches) and fall back to a scan of the decoded text for shorter ones; both
// compare i;unicode-casemap forms (src/mime/casemap.ts: the worker folds text and needle, scans
// fold with the casemap() SQL function).
import type { SearchCriteria, SortComparator, UidSet } from '../types.js';
import { InvalidArgumentError } from '../errors.js';
import { FLAGGED, isDeletedFlag, isRecentFlag, SEEN, systemBit } from '../keywords.js';
import { decodeId } from './ids.js';
import { unicodeCasemap } from '../../mime/casemap.js';
import type { FtsColumn, FtsQuery } from './fts-protocol.js';

export type SqlParam = string | number | bigint | null;

export interface CompiledSql {
  sql: string;
  params: SqlParam[];
}

export type Scope = 'mailbox' | 'account';

/** The email_text columns each text criterion looks in, on both engines (PostgreSQL imports it). */
export const TEXT_COLUMNS: Readonly<Record<Extract<SearchCriteria, { kind: 'text' }>['field'], readonly FtsColumn[]>> = {
  from: ['from_'],
  to: ['to_'],
  cc: ['cc'],
  bcc: ['bcc'],
  subject: ['subject'],
  body: ['body'],
  text: ['headers', 'body'],
  fieldsAndBody: ['from_', 'to_', 'cc', 'bcc', 'subject', 'body'],
};

/**
 * `accId` (the account searched) lets flag and keyword criteria read their indexes
 * (email_unseen, email_flagged, email_keyword) instead of testing every email.
 */
export function compileCriteria(c: SearchCriteria, scope: Scope, accId?: number, matches: FtsMatches = new Map()): CompiledSql {
  const params: SqlParam[] = [];
  const sql = compile(c, { scope, accId, matches }, params, 'e');
  return { sql, params };
}

/** Email ids of each full-text query (ftsQueries, by ftsQueryKey), resolved by the index worker beforehand. */
export type FtsMatches = ReadonlyMap<string, Float64Array>;

/** The key of a full-text query in FtsMatches. */
export function ftsQueryKey(q: FtsQuery): string {
  return JSON.stringify([q.columns, q.needle]);
}

/**
 * The full-text queries compileCriteria will need for these criteria: a compile that records them
 * (so the rules for which needles use the index live in one place, compile()).
 */
export function ftsQueries(c: SearchCriteria, scope: Scope): FtsQuery[] {
  const wanted = new Map<string, FtsQuery>();
  compile(c, { scope, accId: undefined, matches: new Map(), wanted }, [], 'e');
  return [...wanted.values()];
}

interface Env {
  scope: Scope;
  accId: number | undefined;
  matches: FtsMatches;
  /** Set by ftsQueries: queries are recorded here (by key) instead of looked up in `matches`. */
  wanted?: Map<string, FtsQuery>;
}

/**
 * `(a OP b OP c …)` parses in SQLite as a left-deep tree as deep as the list is long, and SQLite
 * refuses trees deeper than 1,000 (SQLITE_MAX_EXPR_DEPTH). Grouping the terms pairwise keeps the
 * depth at log2 of their count, so wide criteria and long UID sets compile.
 */
export function joinBalanced(terms: readonly string[], op: 'AND' | 'OR'): string {
  let level = terms.map((t) => `(${t})`);
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? `(${level[i]} ${op} ${level[i + 1]})` : level[i]!);
    level = next;
  }
  return level[0]!;
}

function compile(c: SearchCriteria, env: Env, p: SqlParam[], e: string): string {
  const scope = env.scope;
  switch (c.kind) {
    case 'all':
      return '1';
    case 'none':
      return '0';
    case 'and':
      return c.of.length ? joinBalanced(c.of.map((x) => compile(x, env, p, e)), 'AND') : '1';
    case 'or':
      return c.of.length ? joinBalanced(c.of.map((x) => compile(x, env, p, e)), 'OR') : '0';
    case 'not':
      return `NOT (${compile(c.of, env, p, e)})`;
    case 'flag': {
      const indexed = indexedFlagExpr(c.flag, c.present, env, p, e);
      if (indexed) return indexed;
      const expr = flagExpr(c.flag, scope, p, e);
      return c.present ? expr : `NOT (${expr})`;
    }
    case 'uid':
      if (scope !== 'mailbox') throw new InvalidArgumentError('UID criteria need a mailbox');
      return uidSetSql(c.uids, 'm.uid', p);
    case 'emailIds':
      return idList(`${e}.id`, c.ids, 'e', p);
    case 'threadIds':
      return idList(`${e}.thread_id`, c.ids, 't', p);
    case 'receivedAt':
      return rangeSql(`${e}.received_at`, c.before, c.notBefore, p);
    case 'sentAt':
      // IMAP SENT*: the day the Date header names, "disregarding time and timezone" (RFC 3501
      // §6.4.4); the internal date's UTC day when there is no usable Date header.
      return daySql(`coalesce(${e}.sent_day, ${e}.received_at / ${DAY_MS})`, c.before, c.notBefore, p);
    case 'size': {
      const parts: string[] = [];
      if (c.larger !== undefined) {
        parts.push(`${e}.size > ?`);
        p.push(c.larger);
      }
      if (c.smaller !== undefined) {
        parts.push(`${e}.size < ?`);
        p.push(c.smaller);
      }
      return parts.length ? `(${parts.join(' AND ')})` : '1';
    }
    case 'header': {
      const name = c.name.toLowerCase();
      const needle = unicodeCasemap(c.value);
      const pre = [...needle].length >= 3 ? `${ftsSql(['headers'], needle, env, p, e)} AND ` : '';
      p.push(name, needle);
      return `(${pre}hdr_has((SELECT headers FROM email_text WHERE email_id = ${e}.id), ?, ?))`;
    }
    case 'text': {
      if (c.value === '') return '1';
      const cols = TEXT_COLUMNS[c.field];
      if (!cols) throw new InvalidArgumentError(`unknown text field ${c.field}`);
      // i;unicode-casemap (RFC 5255 §4): the index holds the folded text, short needles scan it folded.
      const needle = unicodeCasemap(c.value);
      if ([...needle].length >= 3) return ftsSql(cols, needle, env, p, e);
      const scans = cols.map((col) => `instr(casemap(t.${col}), ?) > 0`);
      for (let i = 0; i < cols.length; i++) p.push(needle);
      return `EXISTS (SELECT 1 FROM email_text t WHERE t.email_id = ${e}.id AND (${scans.join(' OR ')}))`;
    }
    case 'savedAt':
      if (scope !== 'mailbox') throw new InvalidArgumentError('save date criteria need a mailbox');
      return rangeSql(`coalesce(m.saved_at, ${e}.received_at)`, c.before, c.notBefore, p);
    case 'modseq':
      if (scope !== 'mailbox') throw new InvalidArgumentError('MODSEQ criteria need a mailbox');
      p.push(c.atLeast);
      return 'm.modseq >= ?';
    case 'inMailbox': {
      const id = decodeId('m', c.mailboxId);
      if (id === null) return '0';
      p.push(id);
      return `EXISTS (SELECT 1 FROM msg x WHERE x.email_id = ${e}.id AND x.mailbox_id = ?)`;
    }
    case 'inMailboxOtherThan': {
      const ids = c.mailboxIds.map((i) => decodeId('m', i)).filter((i): i is number => i !== null);
      for (const id of ids) p.push(id);
      const notIn = ids.length ? `AND x.mailbox_id NOT IN (${ids.map(() => '?').join(',')})` : '';
      return `EXISTS (SELECT 1 FROM msg x WHERE x.email_id = ${e}.id ${notIn})`;
    }
    case 'threadKeyword': {
      const inner = flagExpr(c.keyword, 'account', p, 'tk');
      const base = `FROM email tk WHERE tk.thread_id = ${e}.thread_id`;
      if (c.mode === 'some') return `EXISTS (SELECT 1 ${base} AND ${inner})`;
      if (c.mode === 'none') return `NOT EXISTS (SELECT 1 ${base} AND ${inner})`;
      return `NOT EXISTS (SELECT 1 ${base} AND NOT (${inner}))`;
    }
    case 'hasAttachment':
      return c.value ? `${e}.has_attachment = 1` : `${e}.has_attachment = 0`;
    default: {
      const never: never = c;
      throw new InvalidArgumentError(`unknown criteria ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Flag criteria that an index answers: \Seen absent, \Flagged present (partial indexes on email)
 * and other keywords present (email_keyword). The IN form lets SQLite start from the few matching
 * emails rather than test every email of a large mailbox. Null when no index applies.
 */
function indexedFlagExpr(flag: string, present: boolean, env: Env, p: SqlParam[], e: string): string | null {
  if (env.accId === undefined || isDeletedFlag(flag) || isRecentFlag(flag)) return null;
  const bit = systemBit(flag);
  if (bit && (flag.startsWith('\\') || flag.startsWith('$'))) {
    // The WHERE terms repeat the partial indexes' conditions verbatim, as SQLite requires to use them.
    if (bit === SEEN && !present) {
      p.push(env.accId);
      return `${e}.id IN (SELECT id FROM email WHERE account_id = ? AND (flags & 1) = 0)`;
    }
    if (bit === FLAGGED && present) {
      p.push(env.accId);
      return `${e}.id IN (SELECT id FROM email WHERE account_id = ? AND (flags & 4) != 0)`;
    }
    return null;
  }
  if (!present) return null;
  p.push(env.accId, flag.toLowerCase());
  return `${e}.id IN (SELECT email_id FROM email_keyword WHERE account_id = ? AND keyword = ?)`;
}

function flagExpr(flag: string, scope: Scope, p: SqlParam[], e: string): string {
  if (isDeletedFlag(flag)) return scope === 'mailbox' && e === 'e' ? 'm.deleted = 1' : '0';
  if (isRecentFlag(flag)) return '0';
  const bit = systemBit(flag);
  if (bit && (flag.startsWith('\\') || flag.startsWith('$'))) return `(${e}.flags & ${bit}) != 0`;
  p.push(flag.toLowerCase());
  return `kw_has(${e}.keywords, ?)`;
}

function ftsSql(columns: readonly FtsColumn[], needle: string, env: Env, p: SqlParam[], e: string): string {
  const query: FtsQuery = { columns, needle };
  const key = ftsQueryKey(query);
  if (env.wanted) {
    env.wanted.set(key, query);
    return '0';
  }
  const ids = env.matches.get(key);
  if (!ids) throw new Error(`full-text query not resolved before compiling: ${key}`);
  if (!ids.length) return '0';
  p.push(JSON.stringify(Array.from(ids)));
  return `${e}.id IN (SELECT value FROM json_each(?))`;
}

function rangeSql(col: string, before: Date | undefined, notBefore: Date | undefined, p: SqlParam[]): string {
  const parts: string[] = [];
  if (before) {
    parts.push(`${col} < ?`);
    p.push(before.getTime());
  }
  if (notBefore) {
    parts.push(`${col} >= ?`);
    p.push(notBefore.getTime());
  }
  return parts.length ? `(${parts.join(' AND ')})` : '1';
}

const DAY_MS = 86_400_000;

/** Day-number comparisons: `before`/`notBefore` count by the UTC day they fall on. */
function daySql(col: string, before: Date | undefined, notBefore: Date | undefined, p: SqlParam[]): string {
  const parts: string[] = [];
  if (before) {
    parts.push(`${col} < ?`);
    p.push(Math.floor(before.getTime() / DAY_MS));
  }
  if (notBefore) {
    parts.push(`${col} >= ?`);
    p.push(Math.floor(notBefore.getTime() / DAY_MS));
  }
  return parts.length ? `(${parts.join(' AND ')})` : '1';
}

/**
 * Past this many values a list goes to SQLite as one JSON parameter (json_each) instead of one
 * parameter each: a statement takes at most 32,766 parameters, and a saved or \Recent UID set, or a
 * JMAP id list, can be longer.
 */
const INLINE_VALUES = 500;

/** `col IN (…)` over `nums`, inline for short lists and through json_each for long ones. */
function inList(col: string, nums: readonly number[], p: SqlParam[]): string {
  if (nums.length > INLINE_VALUES) {
    p.push(JSON.stringify(nums));
    return `${col} IN (SELECT value FROM json_each(?))`;
  }
  for (const n of nums) p.push(n);
  return `${col} IN (${nums.map(() => '?').join(',')})`;
}

function idList(col: string, ids: string[], prefix: 'e' | 't', p: SqlParam[]): string {
  const nums = ids.map((i) => decodeId(prefix, i)).filter((i): i is number => i !== null);
  if (!nums.length) return '0';
  return inList(col, nums, p);
}

export function uidSetSql(set: UidSet, col: string, p: SqlParam[]): string {
  if (set.length === 0) return '0';
  const singles: number[] = [];
  const bounds: Array<readonly [number, number]> = [];
  for (const item of set) {
    if (typeof item === 'number') singles.push(item);
    else bounds.push(item[0] <= item[1] ? item : [item[1], item[0]]);
  }
  const parts: string[] = [];
  if (bounds.length > INLINE_VALUES / 2) {
    p.push(JSON.stringify(bounds));
    parts.push(`EXISTS (SELECT 1 FROM json_each(?) r WHERE ${col} BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]'))`);
  } else {
    for (const [a, b] of bounds) {
      parts.push(`${col} BETWEEN ? AND ?`);
      p.push(a, b);
    }
  }
  if (singles.length) parts.push(inList(col, singles, p));
  return joinBalanced(parts, 'OR');
}

export function compileSort(sort: SortComparator[], scope: Scope, p: SqlParam[], accId?: number): string {
  return compileSortWith(sort, scope, (c) => compile(c, { scope, accId, matches: new Map() }, p, 'e'));
}

/**
 * ORDER BY for sort comparators, shared by the engines: `criteriaSql` compiles the criteria the
 * keyword keys sort by (in the engine's dialect, pushing its parameters). Ties break by ascending UID
 * (mailbox) or email id (account).
 */
export function compileSortWith(sort: SortComparator[], scope: Scope, criteriaSql: (c: SearchCriteria) => string): string {
  const out: string[] = [];
  for (const s of sort) {
    const dir = s.descending ? 'DESC' : 'ASC';
    switch (s.key) {
      case 'receivedAt':
        out.push(`e.received_at ${dir}`);
        break;
      case 'sentAt':
        out.push(`coalesce(e.sent_at, e.received_at) ${dir}`);
        break;
      case 'size':
        out.push(`e.size ${dir}`);
        break;
      case 'subject':
        out.push(`e.subject_sort ${dir}`);
        break;
      case 'from':
        out.push(`e.from_sort ${dir}`);
        break;
      case 'to':
        out.push(`e.to_sort ${dir}`);
        break;
      case 'cc':
        out.push(`e.cc_sort ${dir}`);
        break;
      case 'displayFrom':
        out.push(`e.display_from ${dir}`);
        break;
      case 'displayTo':
        out.push(`e.display_to ${dir}`);
        break;
      case 'uid':
        out.push(scope === 'mailbox' ? `m.uid ${dir}` : `e.id ${dir}`);
        break;
      case 'hasKeyword':
      case 'allInThreadHaveKeyword':
      case 'someInThreadHaveKeyword': {
        if (!s.keyword) throw new InvalidArgumentError(`${s.key} needs a keyword`);
        const c: SearchCriteria =
          s.key === 'hasKeyword'
            ? { kind: 'flag', flag: s.keyword, present: true }
            : { kind: 'threadKeyword', keyword: s.keyword, mode: s.key === 'allInThreadHaveKeyword' ? 'all' : 'some' };
        out.push(`(${criteriaSql(c)}) ${dir}`);
        break;
      }
      default: {
        const never: never = s.key;
        throw new InvalidArgumentError(`unknown sort key ${String(never)}`);
      }
    }
  }
  out.push(scope === 'mailbox' ? 'm.uid ASC' : 'e.id ASC');
  return out.join(', ');
}
