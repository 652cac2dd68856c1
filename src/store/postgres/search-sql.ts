// Compiles the SearchCriteria AST and sort comparators to PostgreSQL over `email e` (and `msg m` for
// searches inside one mailbox). Same rules as the SQLite compiler (../sqlite/search-sql.ts); text
// criteria are LIKE '%needle%' over email_text folded by casemap() (i;unicode-casemap, migration 6),
// answered by the pg_trgm GIN indexes for needles of 3+ characters (shorter ones scan).
import type { SearchCriteria, SortComparator, UidSet } from '../types.js';
import { InvalidArgumentError } from '../errors.js';
import { isDeletedFlag, isRecentFlag, systemBit } from '../keywords.js';
import { decodeId } from '../sqlite/ids.js';
import { compileSortWith, joinBalanced, TEXT_COLUMNS, type Scope } from '../sqlite/search-sql.js';
import type { SqlParam } from './db.js';
import { unicodeCasemap } from '../../mime/casemap.js';

export interface CompiledSql {
  sql: string;
  params: SqlParam[];
}

export function compileCriteria(c: SearchCriteria, scope: Scope): CompiledSql {
  const params: SqlParam[] = [];
  return { sql: compile(c, scope, params, 'e'), params };
}

/** A LIKE pattern matching `needle` anywhere: its own %, _ and \ are escaped. */
function containsPattern(needle: string): string {
  return `%${needle.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * A text or header criterion whose needle (or header name) holds NUL: no stored text holds one (noNul strips them,
 * PostgreSQL text cannot), and PostgreSQL refuses the parameter, so it is false without asking.
 */
const NO_NUL_STORED = 'FALSE';

function compile(c: SearchCriteria, scope: Scope, p: SqlParam[], e: string): string {
  switch (c.kind) {
    case 'all':
      return 'TRUE';
    case 'none':
      return 'FALSE';
    case 'and':
      return c.of.length ? joinBalanced(c.of.map((x) => compile(x, scope, p, e)), 'AND') : 'TRUE';
    case 'or':
      return c.of.length ? joinBalanced(c.of.map((x) => compile(x, scope, p, e)), 'OR') : 'FALSE';
    case 'not':
      return `NOT (${compile(c.of, scope, p, e)})`;
    case 'flag': {
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
      return rangeSql(`${e}.received_at`, c.before?.getTime(), c.notBefore?.getTime(), p);
    case 'savedAt':
      // Rows from before migration 3 have no save date: their internal date stands in (as on SQLite).
      if (scope !== 'mailbox') throw new InvalidArgumentError('save date criteria need a mailbox');
      return rangeSql(`coalesce(m.saved_at, ${e}.received_at)`, c.before?.getTime(), c.notBefore?.getTime(), p);
    case 'sentAt':
      // IMAP SENT*: the Date header's own calendar day; the internal date's UTC day without one.
      return rangeSql(
        `coalesce(${e}.sent_day, ${e}.received_at / ${DAY_MS})`,
        c.before && Math.floor(c.before.getTime() / DAY_MS),
        c.notBefore && Math.floor(c.notBefore.getTime() / DAY_MS),
        p,
      );
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
      return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
    }
    case 'header': {
      if (c.value.includes('\0') || c.name.includes('\0')) return NO_NUL_STORED;
      const name = c.name.toLowerCase();
      const needle = unicodeCasemap(c.value);
      // The trigram index narrows the candidates first; hdr_has then checks the field itself.
      let pre = '';
      if ([...needle].length >= 3) {
        pre = `${e}.id IN (SELECT t.email_id FROM email_text t WHERE casemap(t.headers) LIKE ?) AND `;
        p.push(containsPattern(needle));
      }
      p.push(name, needle);
      return `(${pre}hdr_has((SELECT headers FROM email_text WHERE email_id = ${e}.id), ?, ?))`;
    }
    case 'text': {
      if (c.value === '') return 'TRUE';
      if (c.value.includes('\0')) return NO_NUL_STORED;
      const cols = TEXT_COLUMNS[c.field];
      if (!cols) throw new InvalidArgumentError(`unknown text field ${c.field}`);
      // i;unicode-casemap (RFC 5255 §4): folded text (as the indexes hold it) against the folded needle.
      const pattern = containsPattern(unicodeCasemap(c.value));
      for (let i = 0; i < cols.length; i++) p.push(pattern);
      return `${e}.id IN (SELECT t.email_id FROM email_text t WHERE ${cols.map((col) => `casemap(t.${col}) LIKE ?`).join(' OR ')})`;
    }
    case 'modseq':
      if (scope !== 'mailbox') throw new InvalidArgumentError('MODSEQ criteria need a mailbox');
      p.push(c.atLeast);
      return 'm.modseq >= ?';
    case 'inMailbox': {
      const id = decodeId('m', c.mailboxId);
      if (id === null) return 'FALSE';
      p.push(id);
      return `EXISTS (SELECT 1 FROM msg x WHERE x.email_id = ${e}.id AND x.mailbox_id = ?)`;
    }
    case 'inMailboxOtherThan': {
      const ids = c.mailboxIds.map((i) => decodeId('m', i)).filter((i): i is number => i !== null);
      let notIn = '';
      if (ids.length) {
        p.push(ids);
        notIn = 'AND x.mailbox_id <> ALL(?::bigint[])';
      }
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

function flagExpr(flag: string, scope: Scope, p: SqlParam[], e: string): string {
  if (isDeletedFlag(flag)) return scope === 'mailbox' && e === 'e' ? 'm.deleted = 1' : 'FALSE';
  if (isRecentFlag(flag)) return 'FALSE';
  const bit = systemBit(flag);
  if (bit && (flag.startsWith('\\') || flag.startsWith('$'))) return `(${e}.flags & ${bit}) <> 0`;
  p.push(flag.toLowerCase());
  return `kw_has(${e}.keywords, ?)`;
}

const DAY_MS = 86_400_000;

function rangeSql(col: string, before: number | undefined, notBefore: number | undefined, p: SqlParam[]): string {
  const parts: string[] = [];
  if (before !== undefined) {
    parts.push(`${col} < ?`);
    p.push(before);
  }
  if (notBefore !== undefined) {
    parts.push(`${col} >= ?`);
    p.push(notBefore);
  }
  return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
}

function idList(col: string, ids: string[], prefix: 'e' | 't', p: SqlParam[]): string {
  const nums = ids.map((i) => decodeId(prefix, i)).filter((i): i is number => i !== null);
  if (!nums.length) return 'FALSE';
  p.push(nums);
  return `${col} = ANY(?::bigint[])`;
}

/** Ranges inline up to this many; a longer set goes as two array parameters. */
const INLINE_RANGES = 250;

export function uidSetSql(set: UidSet, col: string, p: SqlParam[]): string {
  if (set.length === 0) return 'FALSE';
  const singles: number[] = [];
  const bounds: Array<readonly [number, number]> = [];
  for (const item of set) {
    if (typeof item === 'number') singles.push(item);
    else bounds.push(item[0] <= item[1] ? item : [item[1], item[0]]);
  }
  const parts: string[] = [];
  if (bounds.length > INLINE_RANGES) {
    p.push(bounds.map((b) => b[0]), bounds.map((b) => b[1]));
    parts.push(`EXISTS (SELECT 1 FROM unnest(?::bigint[], ?::bigint[]) r(lo, hi) WHERE ${col} BETWEEN r.lo AND r.hi)`);
  } else {
    for (const [a, b] of bounds) {
      parts.push(`${col} BETWEEN ? AND ?`);
      p.push(a, b);
    }
  }
  if (singles.length) {
    parts.push(`${col} = ANY(?::bigint[])`);
    p.push(singles);
  }
  return joinBalanced(parts, 'OR');
}

export function compileSort(sort: SortComparator[], scope: Scope, p: SqlParam[]): string {
  return compileSortWith(sort, scope, (c) => compile(c, scope, p, 'e'));
}
