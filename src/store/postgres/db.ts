// The PostgreSQL connection pool and the query helpers every module of the engine uses. SQL is written
// with `?` placeholders (as in the SQLite engine) and numbered ($1, $2 …) once per text. BIGINT and
// NUMERIC values (ids, modseqs, millisecond times, sums) come back as JS numbers: every one of them
// stays far below 2^53.
import pg from 'pg';
import { countPgQueries } from '../../core/pg-round-trips.js';

export type SqlParam = string | number | bigint | boolean | null | Buffer | readonly number[] | readonly string[];

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PoolSettings {
  url: string;
  /** Connections of this node's pool (default 10). */
  poolSize?: number;
  /** Schema of the store's tables (default: the server's search_path, normally public). */
  schema?: string;
  /** Written into pg_stat_activity, so an operator sees which node holds which connection. */
  applicationName?: string;
}

export function createPool(settings: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolSize ?? 10,
    types,
    application_name: settings.applicationName ?? 'tessera',
    // Acknowledged = committed and flushed: never trust a server default that turned it off.
    // The schema (checked to be a plain identifier by the config) comes first; public stays on the
    // path for extensions installed there (pg_trgm's operator classes).
    options: `-c synchronous_commit=on${settings.schema ? ` -c search_path=${settings.schema},public` : ''}`,
  });
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener the
  // 'error' event would crash the process.
  pool.on('error', () => undefined);
  countPgQueries(pool, 'store');
  return pool;
}

const numbered = new Map<string, string>();

/** `?` placeholders to `$n`. The SQL texts of this engine never hold a `?` inside a literal. */
export function numberPlaceholders(text: string): string {
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 2000) numbered.clear();
    numbered.set(text, out);
  }
  return out;
}

/** A connection (a transaction's, or any pooled one) with typed query helpers. */
export class Conn {
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async all<R>(text: string, ...params: SqlParam[]): Promise<R[]> {
    const res = await this.client.query(numberPlaceholders(text), params as unknown[]);
    return res.rows as R[];
  }

  async get<R>(text: string, ...params: SqlParam[]): Promise<R | undefined> {
    const rows = await this.all<R>(text, ...params);
    return rows[0];
  }

  /** First column of every row. */
  async pluck<V>(text: string, ...params: SqlParam[]): Promise<V[]> {
    const res = await this.client.query({ text: numberPlaceholders(text), values: params as unknown[], rowMode: 'array' });
    return (res.rows as unknown[][]).map((r) => r[0] as V);
  }

  /** Rows affected. */
  async run(text: string, ...params: SqlParam[]): Promise<number> {
    const res = await this.client.query(numberPlaceholders(text), params as unknown[]);
    return res.rowCount ?? 0;
  }
}

/**
 * SQL sent in the same round trip as a transaction's COMMIT, just before it: the store's NOTIFYs
 * (event-relay.ts), which PostgreSQL then delivers exactly when, and only if, the transaction commits.
 */
export interface CommitHook<T> {
  /** The statements (simple protocol: literals escaped, no parameters), or undefined for none. */
  sql(out: T): string | undefined;
  /**
   * Those statements were sent but the transaction did not commit ('rolled-back': the server said
   * so), or may have ('unknown': the connection failed before the answer came).
   */
  failed(outcome: 'rolled-back' | 'unknown'): void;
}

/**
 * Runs fn in a transaction on one pooled connection: committed when fn resolves, rolled back when
 * it throws. `readOnly` runs it as one REPEATABLE READ snapshot (every statement sees the same data).
 */
export async function transaction<T>(pool: pg.Pool, fn: (q: Conn) => Promise<T>, readOnly = false, hook?: CommitHook<T>): Promise<T> {
  const client = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: it is destroyed, not reused.
  let broken = false;
  // A connection that breaks while checked out (its backend terminated) emits 'error' besides failing
  // the statement under way; the pool listens only while a client is idle, and an unheard 'error'
  // would end the process. The failed statement already reports it.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query(readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    try {
      const out = await fn(new Conn(client));
      const before = hook?.sql(out);
      if (before === undefined) await client.query('COMMIT');
      else await commitAfter(client, before, hook!);
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    }
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/** `before` and COMMIT in one round trip (a statement that fails skips the COMMIT: the transaction is aborted). */
async function commitAfter<T>(client: pg.PoolClient, before: string, hook: CommitHook<T>): Promise<void> {
  try {
    await client.query(`${before}; COMMIT`);
  } catch (err) {
    // An ERROR is the server's answer: nothing committed. Anything else (a FATAL, a broken socket)
    // may have come after the commit record was written.
    hook.failed(err instanceof pg.DatabaseError && err.severity === 'ERROR' ? 'rolled-back' : 'unknown');
    throw err;
  }
}
