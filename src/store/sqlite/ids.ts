// External ids: a one-letter type prefix and the row id (m12, e345, t67, q8, s9 for Sieve scripts). Ids from another
// type or of garbage form decode to null, which callers treat as "not found".
export type IdPrefix = 'm' | 'e' | 't' | 'q' | 's';

export function encodeId(prefix: IdPrefix, id: number | bigint): string {
  return `${prefix}${id}`;
}

export function decodeId(prefix: IdPrefix, id: string): number | null {
  if (id.length < 2 || id.length > 20 || id[0] !== prefix) return null;
  const rest = id.slice(1);
  if (!/^[1-9][0-9]*$/.test(rest)) return null;
  const n = Number(rest);
  return Number.isSafeInteger(n) ? n : null;
}
