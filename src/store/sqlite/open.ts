// Factory for the embedded store: <dataDir>/store.sqlite and <dataDir>/blobs/.
import fsSync, { promises as fs } from 'node:fs';
import path from 'node:path';
import type { MailStore, StoreOptions } from '../types.js';
import { BlobFiles } from '../blobs.js';
import { SqliteBlobs } from './blob-store.js';
import { openDatabase, type Db } from './db.js';
import { SqliteMailStore } from './store.js';
import type { Ctx } from './context.js';
import { WalDurability } from './wal-sync.js';
import { FtsIndex } from './fts-index.js';
import { sharedIngestGate } from '../spool/ingest-gate.js';
import { instrumentStore } from '../metrics.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function openSqliteStore(options: StoreOptions): Promise<MailStore> {
  const dataDir = path.resolve(options.dataDir);
  if (options.ingestBudget !== undefined) sharedIngestGate.setBudget(options.ingestBudget);
  await fs.mkdir(path.join(dataDir, 'blobs'), { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'store.sqlite');
  const files = new BlobFiles(path.join(dataDir, 'blobs'));
  const db = openDatabase(file, (blob) => readBlobSync(files, blob));
  const blobs = new SqliteBlobs(db, files);
  const ctx = {
    db,
    blobs,
    events: options.events,
    ...(options.logger ? { logger: options.logger } : {}),
    defaultQuota: { storage: options.quota?.storage ?? 0, messages: options.quota?.messages ?? 0 },
    retentionMs: (options.changeRetentionDays ?? 30) * DAY_MS,
    uploadTtlMs: options.uploadTtlMs ?? DAY_MS,
    statements: new Map(),
    ftsDirty: false,
    ftsTrimmedUpTo: 0,
    insertedSinceOptimize: 0,
    wal: new WalDurability(db, file),
    fts: new FtsIndex({ searchFile: path.join(dataDir, 'search.sqlite'), mainFile: file }, options.logger),
  } satisfies Ctx;
  ctx.fts.start();
  return instrumentStore(new SqliteMailStore(ctx));
}

/**
 * The database and blob files of a data directory, without the store around them (no index worker,
 * no WAL syncer): for tools that read a stopped node's store, such as `tessera migrate`. The schema is
 * brought to this version first, as the store would at start. Null when the directory has no store.
 */
export function openSqliteStoreFiles(dataDir: string): { db: Db; blobs: SqliteBlobs } | null {
  const file = path.join(path.resolve(dataDir), 'store.sqlite');
  if (!fsSync.existsSync(file)) return null;
  const files = new BlobFiles(path.join(path.resolve(dataDir), 'blobs'));
  const db = openDatabase(file, (blob) => readBlobSync(files, blob));
  return { db, blobs: new SqliteBlobs(db, files) };
}

/** A blob file's bytes, or null when the file is missing (the migration then keeps what it has). */
function readBlobSync(blobs: BlobFiles, blob: string): Buffer | null {
  try {
    return fsSync.readFileSync(blobs.pathOf(blob));
  } catch {
    return null;
  }
}
