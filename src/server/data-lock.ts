// One server per data directory. `tessera serve` takes this lock before it opens anything under
// the directory, so a second server refuses at once, names the first one's PID and writes nothing.
//
// The lock is an OS-level lock held by SQLite on `<data dir>/tessera.lock`: an open write
// transaction (BEGIN IMMEDIATE, a POSIX fcntl lock underneath) that is never committed. The kernel
// drops it when the process ends however it ends (SIGKILL, crash, power loss), so there is no stale
// lock to detect or clean up, and no PID-reuse guessing as with a PID file; SQLite also keeps two
// connections of one process apart, which POSIX locks alone do not. The holder's PID, host and
// start time are committed into the same file just before the hold begins, for the refusal message.
//
// The CLI commands that work beside a running server (user, domain, import, export, sessions) take
// no lock: the users database and the store are built for concurrent use (WAL, busy timeouts).
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StartupError } from './errors.js';

export const DATA_LOCK_FILE = 'tessera.lock';

export interface DataDirectoryLock {
  readonly path: string;
  /** Lets the next server in. Idempotent. */
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  started: string;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readHolder(db: Database.Database): Holder | undefined {
  try {
    return db.prepare('SELECT pid, host, started FROM holder LIMIT 1').get() as Holder | undefined;
  } catch {
    // The table may not exist yet (the holder is between creating the file and its first commit).
    return undefined;
  }
}

function refusal(dataDir: string, holder: Holder | undefined): StartupError {
  // In a start-up race the committed row can still be the loser's own (or a long-dead holder's):
  // then only the fact of the lock is certain.
  const known = holder !== undefined && holder.pid !== process.pid;
  const who = known
    ? `another tessera server (PID ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, running since ${holder.started})`
    : 'another tessera server';
  return new StartupError(`the data directory ${dataDir} is in use by ${who}; stop it first, or give this one another data.dir`);
}

/**
 * Takes the data directory for this process, creating the directory if needed. Throws StartupError
 * naming the directory and the other server's PID when another process holds it.
 */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  const path = join(dataDir, DATA_LOCK_FILE);
  let db: Database.Database;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o750 });
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw new StartupError(`cannot use the data directory ${dataDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, started TEXT NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, host, started) VALUES (?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
    db.exec('COMMIT');
    // The hold itself: a write transaction left open for the life of the process.
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    if (!isBusy(err)) {
      db.close();
      throw new StartupError(`cannot use the data directory ${dataDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (db.inTransaction) db.exec('ROLLBACK');
    const holder = readHolder(db);
    db.close();
    throw refusal(dataDir, holder);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
