// Moves a stopped node's mail store (<dataDir>/store.sqlite and blobs/) into the PostgreSQL mail store,
// for `tessera migrate --to postgres`, keeping every id: account, mailbox, email and thread ids (so
// JMAP ids), UIDVALIDITY, UIDs, UIDNEXT, modseqs and HIGHESTMODSEQ, and the JMAP states with their
// change logs (tombstones, expunge log, modseqs), so IMAP and JMAP clients carry on without
// re-downloading or resyncing anything.
//
// Order: the schema is migrated, the blobs are copied (blob-copy.ts: resumable, each commits alone),
// then every row in ONE transaction that also sets the sequences and counts each table on both sides
// before it commits; a count that differs rolls it back. The SQLite side is read in one snapshot.
// A target that holds mail rows is refused unless `force` (then they are replaced).
import type pg from 'pg';
import type { Db } from '../sqlite/db.js';
import { openSqliteStoreFiles } from '../sqlite/open.js';
import { Conn, createPool, transaction, type SqlParam } from '../postgres/db.js';
import { migrate } from '../postgres/migrate.js';
import { PgBlobs } from '../postgres/blobs.js';
import { noNul } from '../postgres/context.js';
import { multiRowInsert, TargetNotEmptyError, type CopyOptions, type TableCount } from '../../core/table-copy.js';
import { BLOB_WORKERS, copyBlobs, countBlobReferences } from './blob-copy.js';
import { planTables, COPIED_TABLES, type TablePlan } from './tables.js';
import { postgresTableInfo, sqliteTableInfo } from './schema-info.js';
import { setSequences } from './sequences.js';

export interface MailStoreTarget {
  url: string;
  schema?: string;
}

export interface MailStoreCopy {
  counts: TableCount[];
  /** False when a count differed and the rows were rolled back. */
  committed: boolean;
  /** Blobs written to PostgreSQL by this run (those already there are not counted). */
  blobsCopied: number;
  blobBytes: number;
}

/** Rows per INSERT, bounded by PostgreSQL's 65,535 parameters per statement. */
const MAX_ROWS = 500;
/** An INSERT is sent once its values reach this many bytes (email_text rows can be large). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** Copies the mail store of `dataDir`; null when the directory has no store.sqlite. */
export async function copyMailStoreToPostgres(dataDir: string, target: MailStoreTarget, options: CopyOptions = {}): Promise<MailStoreCopy | null> {
  const files = openSqliteStoreFiles(dataDir);
  if (!files) return null;
  const { db } = files;
  const pool = createPool({ url: target.url, poolSize: BLOB_WORKERS + 1, applicationName: 'tessera-migrate', ...(target.schema !== undefined ? { schema: target.schema } : {}) });
  // The blob commits need not wait for the disk each: the rows' transaction commits synchronously
  // (SET LOCAL below), which flushes the write-ahead log up to it, blobs included, before it returns.
  pool.on('connect', (client: pg.PoolClient) => void client.query('SET synchronous_commit = off').catch(() => undefined));
  try {
    await migrate(pool, target.schema);
    const plans = planTables(sqliteTableInfo(db), await postgresTableInfo(new Conn(pool)));
    // One read snapshot of SQLite for the counts, the blobs and the rows.
    db.exec('BEGIN');
    try {
      const sourceCounts = plans.map((p) => db.prepare(`SELECT count(*) FROM ${p.table}`).pluck().get() as number);
      const total = sourceCounts.reduce((a, b) => a + b, 0) + countBlobReferences(db);
      // Refused before the (long) blob phase too, not only under the rows' locks.
      if (!options.force) await refuseOccupied(new Conn(pool));
      let done = 0;
      const progress = (n: number): void => {
        done += n;
        options.onProgress?.(done, total);
      };
      progress(0);
      const blobs = await copyBlobs(db, files.blobs, new PgBlobs(pool), () => progress(1));
      const result = await copyRows(db, pool, plans, sourceCounts, options.force === true, progress);
      if (result.committed) await analyze(pool, plans);
      return { ...result, blobsCopied: blobs.copied, blobBytes: blobs.bytes };
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
    await pool.end();
  }
}

async function refuseOccupied(q: Conn): Promise<void> {
  const occupied: string[] = [];
  for (const t of COPIED_TABLES) if ((await q.get(`SELECT 1 FROM ${t} LIMIT 1`)) !== undefined) occupied.push(t);
  if (occupied.length > 0) {
    throw new TargetNotEmptyError(`the PostgreSQL mail store already holds rows (${occupied.join(', ')}); use --force to replace them`);
  }
}

/** Thrown inside the rows' transaction to roll it back when a count differs. */
class CountMismatch extends Error {
  constructor(readonly counts: TableCount[]) {
    super('the row counts differ');
  }
}

async function copyRows(
  db: Db,
  pool: pg.Pool,
  plans: TablePlan[],
  sourceCounts: number[],
  force: boolean,
  progress: (n: number) => void,
): Promise<{ counts: TableCount[]; committed: boolean }> {
  try {
    const counts = await transaction(pool, async (q) => {
      await q.run('SET LOCAL synchronous_commit = on');
      // Nodes may already run on the target: nothing may be written between the check and the copy.
      await q.run(`LOCK TABLE ${plans.map((p) => p.table).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
      if (force) await q.run(`TRUNCATE ${plans.map((p) => p.table).join(', ')}`);
      else await refuseOccupied(q);
      for (const plan of plans) await copyTable(db, q, plan, progress);
      await setSequences(db, q);
      const counts: TableCount[] = [];
      for (const [i, p] of plans.entries()) {
        const [n] = await q.pluck<number>(`SELECT count(*)::int FROM ${p.table}`);
        counts.push({ table: p.table, source: sourceCounts[i]!, target: n! });
      }
      if (counts.some((c) => c.source !== c.target)) throw new CountMismatch(counts);
      return counts;
    });
    return { counts, committed: true };
  } catch (err) {
    if (err instanceof CountMismatch) return { counts: err.counts, committed: false };
    throw err;
  }
}

/** One table, paged through SQLite by its primary key (or rowid), sent in multi-row INSERTs. */
async function copyTable(db: Db, q: Conn, plan: TablePlan, progress: (n: number) => void): Promise<void> {
  const key = plan.key.length > 0 ? plan.key : ['rowid'];
  const keyAt = key.map((k) => (k === 'rowid' ? plan.sourceColumns.length : plan.sourceColumns.indexOf(k)));
  const select = `SELECT ${plan.sourceColumns.join(', ')}${plan.key.length > 0 ? '' : ', rowid'} FROM ${plan.table}`;
  const order = `ORDER BY ${key.join(', ')} LIMIT ${MAX_ROWS}`;
  const first = db.prepare(`${select} ${order}`).raw();
  const next = db.prepare(`${select} WHERE (${key.join(', ')}) > (${key.map(() => '?').join(', ')}) ${order}`).raw();
  const bytea = plan.targetColumns.map((c) => plan.byteaColumns.has(c));
  const width = plan.sourceColumns.length;
  let batch: SqlParam[][] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await q.run(multiRowInsert(plan.table, plan.targetColumns, batch.length), ...(batch.flat() as SqlParam[]));
    progress(batch.length);
    batch = [];
    bytes = 0;
  };
  let page = first.all() as unknown[][];
  while (page.length > 0) {
    for (const row of page) {
      const values = row.slice(0, width).map((v, i) => toPg(v, bytea[i]!));
      for (const v of values) bytes += typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 8;
      batch.push(values);
      if (batch.length >= MAX_ROWS || bytes >= MAX_BATCH_BYTES) await flush();
    }
    const last = page[page.length - 1]!;
    page = next.all(...keyAt.map((i) => last[i])) as unknown[][];
  }
  await flush();
}

/** PostgreSQL text cannot hold NUL (its ingest drops them, as here); bytea takes bytes. */
function toPg(v: unknown, bytea: boolean): SqlParam {
  if (typeof v === 'string') return bytea ? Buffer.from(v, 'utf8') : noNul(v);
  return v as SqlParam;
}

/** Fresh planner statistics, so the first queries on the new store do not plan for empty tables. */
async function analyze(pool: pg.Pool, plans: TablePlan[]): Promise<void> {
  await pool.query(`ANALYZE ${plans.map((p) => p.table).join(', ')}, blob, blob_chunk`);
}
