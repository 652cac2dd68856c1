// Filters and sorts of the /query methods computed over in-memory lists (Mailbox/query,
// Quota/query): the RFC 8620 §5.5 FilterOperator tree and Comparator list, with each type's own
// conditions and sort properties plugged in.
import { MethodError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject } from '../core/types.js';

export type Predicate<T> = (x: T) => boolean;

/** A FilterOperator / FilterCondition tree; `condition` compiles one FilterCondition of the type. */
export function compileFilter<T>(f: Json | undefined, condition: (c: JsonObject) => Predicate<T>): Predicate<T> {
  if (f === undefined || f === null) return () => true;
  if (!isJsonObject(f)) throw new MethodError('unsupportedFilter', 'filter must be an object');
  if (!('operator' in f)) return condition(f);
  const conds = f.conditions;
  if (!Array.isArray(conds)) throw new MethodError('unsupportedFilter', 'conditions must be a list');
  const parts = conds.map((c) => compileFilter(c, condition));
  if (f.operator === 'AND') return (x) => parts.every((p) => p(x));
  if (f.operator === 'OR') return (x) => parts.some((p) => p(x));
  if (f.operator === 'NOT') return (x) => !parts.some((p) => p(x));
  throw new MethodError('unsupportedFilter', `unknown operator ${String(f.operator)}`);
}

/** The properties a Comparator list names (null/absent: none). */
export function sortProperties(sort: Json | undefined): string[] {
  if (!Array.isArray(sort)) return [];
  return sort.map((c) => (isJsonObject(c) ? String(c.property) : ''));
}

/** A Comparator list over the type's sortable properties; ties end in id order, so results are stable. */
export function compileSort<T extends { id: string }>(
  sort: Json | undefined,
  comparators: Readonly<Record<string, (a: T, b: T) => number>>,
  what: string,
): (a: T, b: T) => number {
  const list = sort === undefined || sort === null ? [] : sort;
  if (!Array.isArray(list)) throw new MethodError('unsupportedSort', 'sort must be a list');
  const cmps = list.map((c) => {
    if (!isJsonObject(c)) throw new MethodError('unsupportedSort', 'bad comparator');
    const dir = c.isAscending === false ? -1 : 1;
    const cmp = typeof c.property === 'string' && Object.hasOwn(comparators, c.property) ? comparators[c.property] : undefined;
    if (cmp === undefined) throw new MethodError('unsupportedSort', `cannot sort ${what} by ${String(c.property)}`);
    return (a: T, b: T) => dir * cmp(a, b);
  });
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}
