// Switching a SQLite database to WAL, shared by every SQLite file Tessera keeps (the mail store, the
// users database): several processes may open a new file at the same moment (server.processes
// workers, the server and a CLI command).
import type Database from 'better-sqlite3';

const WAL_SWITCH_DEADLINE_MS = 10_000;

/**
 * Sets journal_mode=WAL. Switching a new database needs its exclusive lock, and SQLite answers
 * SQLITE_BUSY at once, without calling the busy handler, while another process holds the file for the
 * same switch; so this waits and retries, as the busy timeout would, for up to ten seconds.
 */
export function enterWalMode(db: Database.Database): void {
  const deadline = Date.now() + WAL_SWITCH_DEADLINE_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      // A synchronous wait: opening is synchronous, and this happens at most once per open.
      Atomics.wait(pause, 0, 0, Math.min(5 + attempt * 5, 50));
    }
  }
}
