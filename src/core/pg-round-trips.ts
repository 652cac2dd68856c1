// Counts the statements each PostgreSQL pool sends (each one a round trip to the server), so an
// operator sees on /metrics what an operation costs in database traffic, and bench/cluster can print
// SQL round trips per delivery or login. Shared by the mail store's pool and the users' pool.
import type pg from 'pg';
import { metrics } from './metrics.js';

const pgQueries = metrics.counter('tessera_pg_queries_total', 'Statements sent to PostgreSQL (one round trip each), by connection pool.', ['pool']);

/** Counts every query of every connection the pool opens, whoever issues it (helpers, BEGIN/COMMIT, pool.query). */
export function countPgQueries(pool: pg.Pool, name: string): void {
  pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query;
    // One wrapper per connection, set once when it opens; the signature is pg's own (overloaded).
    client.query = function counted(this: pg.PoolClient, ...args: unknown[]) {
      pgQueries.inc({ pool: name });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof client.query;
  });
}
