// Email/query filters and sorts (RFC 8621 §4.4) translated to the store's search AST.
import { COLLATION_ALGORITHMS } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { isJsonObject, type Json } from '../core/types.js';
import type { SearchCriteria, SortComparator } from '../../store/types.js';

function unsupported(why: string): MethodError {
  return new MethodError('unsupportedFilter', why);
}

function str(v: Json | undefined, name: string): string {
  if (typeof v !== 'string') throw unsupported(`${name} must be a string`);
  return v;
}

function date(v: Json | undefined, name: string): Date {
  const d = new Date(str(v, name));
  if (Number.isNaN(d.getTime())) throw unsupported(`${name} must be a UTCDate`);
  return d;
}

function uint(v: Json | undefined, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw unsupported(`${name} must be an unsigned integer`);
  return v;
}

function keyword(v: Json | undefined, name: string): string {
  const k = str(v, name);
  if (!/^[\x21-\x7e]{1,255}$/.test(k) || /[()\]{%*"\\]/.test(k)) throw unsupported(`${name} is not a valid keyword`);
  return k.toLowerCase();
}

const TEXT_FIELDS = ['text', 'from', 'to', 'cc', 'bcc', 'subject', 'body'] as const;

/**
 * Bounds on one filter, as IMAP SEARCH has them: at most MAX_FILTER_DEPTH operators deep and at
 * most MAX_FILTER_NODES operators and conditions in all. Beyond them the filter is
 * unsupportedFilter with a clear description, before anything is compiled (SQLite takes at most
 * 32,766 parameters per statement, which a very wide filter would exceed).
 */
export const MAX_FILTER_DEPTH = 32;
export const MAX_FILTER_NODES = 1000;

/** Translates a FilterOperator / FilterCondition tree; unknown properties are unsupportedFilter. */
export function toCriteria(filter: Json | undefined): SearchCriteria {
  return translate(filter, 0, { nodes: 0 });
}

function translate(filter: Json | undefined, depth: number, budget: { nodes: number }): SearchCriteria {
  if (filter === undefined || filter === null) return { kind: 'all' };
  if (depth > MAX_FILTER_DEPTH) throw unsupported(`filter nested more than ${MAX_FILTER_DEPTH} operators deep`);
  if (++budget.nodes > MAX_FILTER_NODES) throw unsupported(`filter has more than ${MAX_FILTER_NODES} operators and conditions`);
  if (!isJsonObject(filter)) throw unsupported('a filter must be an object');
  if ('operator' in filter) {
    const { operator, conditions } = filter;
    if (!Array.isArray(conditions)) throw unsupported('"conditions" must be a list');
    const of = conditions.map((c) => translate(c, depth + 1, budget));
    if (operator === 'AND') return { kind: 'and', of };
    if (operator === 'OR') return { kind: 'or', of };
    if (operator === 'NOT') return { kind: 'not', of: { kind: 'or', of } };
    throw unsupported(`unknown operator ${JSON.stringify(operator)}`);
  }
  const all: SearchCriteria[] = [];
  for (const [k, v] of Object.entries(filter)) {
    switch (k) {
      case 'inMailbox':
        all.push({ kind: 'inMailbox', mailboxId: str(v, k) });
        break;
      case 'inMailboxOtherThan':
        if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw unsupported('inMailboxOtherThan must list ids');
        all.push({ kind: 'inMailboxOtherThan', mailboxIds: v });
        break;
      case 'before':
        all.push({ kind: 'receivedAt', before: date(v, k) });
        break;
      case 'after':
        all.push({ kind: 'receivedAt', notBefore: date(v, k) });
        break;
      case 'minSize':
        all.push({ kind: 'size', larger: uint(v, k) - 1 });
        break;
      case 'maxSize':
        all.push({ kind: 'size', smaller: uint(v, k) });
        break;
      case 'allInThreadHaveKeyword':
        all.push({ kind: 'threadKeyword', keyword: keyword(v, k), mode: 'all' });
        break;
      case 'someInThreadHaveKeyword':
        all.push({ kind: 'threadKeyword', keyword: keyword(v, k), mode: 'some' });
        break;
      case 'noneInThreadHaveKeyword':
        all.push({ kind: 'threadKeyword', keyword: keyword(v, k), mode: 'none' });
        break;
      case 'hasKeyword':
        all.push({ kind: 'flag', flag: keyword(v, k), present: true });
        break;
      case 'notKeyword':
        all.push({ kind: 'flag', flag: keyword(v, k), present: false });
        break;
      case 'hasAttachment':
        if (typeof v !== 'boolean') throw unsupported('hasAttachment must be a boolean');
        all.push({ kind: 'hasAttachment', value: v });
        break;
      case 'header': {
        if (!Array.isArray(v) || v.length < 1 || v.length > 2 || !v.every((x): x is string => typeof x === 'string')) {
          throw unsupported('header must be [name] or [name, value]');
        }
        all.push({ kind: 'header', name: v[0] as string, value: v[1] ?? '' });
        break;
      }
      default:
        if ((TEXT_FIELDS as readonly string[]).includes(k)) {
          // JMAP text is From, To, Cc, Bcc, Subject and the body (RFC 8621 §4.4.1); the store's
          // `text` is IMAP TEXT, every header included.
          const field = k === 'text' ? 'fieldsAndBody' : (k as Exclude<(typeof TEXT_FIELDS)[number], 'text'>);
          const value = str(v, k);
          const terms = searchTerms(value);
          // Each further term is one more condition of the filter's bounded size.
          budget.nodes += Math.max(0, terms.length - 1);
          if (budget.nodes > MAX_FILTER_NODES) throw unsupported(`filter has more than ${MAX_FILTER_NODES} operators, conditions and search terms`);
          if (terms.length === 0) all.push({ kind: 'text', field, value });
          for (const term of terms) all.push({ kind: 'text', field, value: term });
          break;
        }
        throw unsupported(`unknown filter property "${k}"`);
    }
  }
  if (all.length === 0) return { kind: 'all' };
  return all.length === 1 ? (all[0] as SearchCriteria) : { kind: 'and', of: all };
}

const SORT_KEYS: Record<string, SortComparator['key']> = {
  receivedAt: 'receivedAt',
  sentAt: 'sentAt',
  size: 'size',
  subject: 'subject',
  from: 'displayFrom',
  to: 'displayTo',
  hasKeyword: 'hasKeyword',
  allInThreadHaveKeyword: 'allInThreadHaveKeyword',
  someInThreadHaveKeyword: 'someInThreadHaveKeyword',
};

export const EMAIL_SORT_OPTIONS = Object.keys(SORT_KEYS);

export function toSort(sort: Json | undefined): SortComparator[] {
  if (sort === undefined || sort === null) return [{ key: 'receivedAt', descending: true }];
  if (!Array.isArray(sort)) throw new MethodError('invalidArguments', '"sort" must be a list');
  return sort.map((c) => {
    if (!isJsonObject(c) || typeof c.property !== 'string') throw new MethodError('invalidArguments', 'a Comparator needs a property');
    const key = SORT_KEYS[c.property];
    if (key === undefined) throw new MethodError('unsupportedSort', `cannot sort by ${c.property}`);
    if (c.collation !== undefined && !(COLLATION_ALGORITHMS as readonly unknown[]).includes(c.collation)) {
      throw new MethodError('unsupportedSort', `unsupported collation ${String(c.collation)}`);
    }
    const out: SortComparator = { key, descending: c.isAscending === false };
    if (key === 'hasKeyword' || key === 'allInThreadHaveKeyword' || key === 'someInThreadHaveKeyword') {
      if (typeof c.keyword !== 'string') throw new MethodError('invalidArguments', `${c.property} needs a keyword`);
      out.keyword = c.keyword.toLowerCase();
    }
    return out;
  });
}

/**
 * The terms of a String filter value (RFC 8621 §4.4.1): text in single or double quotes is one phrase
 * (backslash-quote and backslash-backslash stand for the literal character), and outside a phrase white space divides tokens
 * that must all be present. An unclosed quote runs to the end of the value.
 */
export function searchTerms(value: string): string[] {
  const terms: string[] = [];
  let i = 0;
  while (i < value.length) {
    const ch = value.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let phrase = '';
      for (i++; i < value.length && value.charAt(i) !== ch; i++) {
        if (value.charAt(i) === '\\' && i + 1 < value.length) i++;
        phrase += value.charAt(i);
      }
      i++;
      if (phrase.trim()) terms.push(phrase);
    } else {
      let token = '';
      for (; i < value.length && !/\s/.test(value.charAt(i)); i++) token += value.charAt(i);
      terms.push(token);
    }
  }
  return terms;
}

/** The terms a text filter searches for, for SearchSnippet highlighting. */
export function textTerms(filter: Json | undefined, fields: ReadonlySet<string>, out: string[] = []): string[] {
  if (!isJsonObject(filter)) return out;
  if ('operator' in filter) {
    if (filter.operator !== 'NOT' && Array.isArray(filter.conditions)) for (const c of filter.conditions) textTerms(c, fields, out);
    return out;
  }
  for (const [k, v] of Object.entries(filter)) if (fields.has(k) && typeof v === 'string') out.push(...searchTerms(v));
  return out;
}
