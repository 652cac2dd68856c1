// What the copies of `tessera migrate --to postgres` share: the users database (src/auth/users) and the
// mail store (src/store/to-postgres) are each copied table by table into PostgreSQL, refuse a target
// that holds rows already, report progress and end with a count per table on both sides.

/** A target that already holds rows, when the copy was not told to replace them (--force). */
export class TargetNotEmptyError extends Error {
  override readonly name = 'TargetNotEmptyError';
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface CopyOptions {
  /** Replace what the target tables hold instead of refusing. */
  force?: boolean;
  /** Items (rows, blobs) copied so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/** `INSERT INTO table (columns) VALUES ($1, $2, …), (…)` for `rows` rows of the columns. */
export function multiRowInsert(table: string, columns: readonly string[], rows: number): string {
  const n = columns.length;
  const values = Array.from({ length: rows }, (_, r) => `(${columns.map((__, k) => `$${r * n + k + 1}`).join(', ')})`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`;
}
