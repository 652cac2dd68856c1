// Factory for the PostgreSQL engine: a pool, the schema migrated (safe with several nodes starting at
// once, see migrate.ts), blobs in the database. Nothing is kept on local disk: any number of nodes may
// share one database.
import type { MailStore, StoreOptions } from '../types.js';
import { sharedIngestGate } from '../spool/ingest-gate.js';
import { Conn, createPool } from './db.js';
import { migrate } from './migrate.js';
import { PgBlobs } from './blobs.js';
import { PgMailStore } from './store.js';
import type { Ctx } from './context.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface PostgresStoreOptions extends Omit<StoreOptions, 'dataDir'> {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections of this node's pool (default 10). */
  poolSize?: number;
  /** Schema holding the tables (created when missing); default the server's search_path (public). */
  schema?: string;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<MailStore> {
  if (options.ingestBudget !== undefined) sharedIngestGate.setBudget(options.ingestBudget);
  const pool = createPool({
    url: options.url,
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
  });
  try {
    await migrate(pool, options.schema);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const ctx: Ctx = {
    pool,
    q: new Conn(pool),
    blobs: new PgBlobs(pool),
    events: options.events,
    ...(options.logger ? { logger: options.logger } : {}),
    defaultQuota: { storage: options.quota?.storage ?? 0, messages: options.quota?.messages ?? 0 },
    retentionMs: (options.changeRetentionDays ?? 30) * DAY_MS,
    uploadTtlMs: options.uploadTtlMs ?? DAY_MS,
  };
  return new PgMailStore(ctx);
}
