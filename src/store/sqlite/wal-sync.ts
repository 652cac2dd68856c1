// Makes grouped commits durable without blocking the event loop on fsync.
//
// better-sqlite3 runs SQLite on the main thread, so with synchronous=FULL every commit waits for
// the WAL fsync (2-5 ms on ext4) with the whole server stopped: at a few hundred grouped commits a
// second that was most of the main thread. A grouped commit instead runs with synchronous=OFF,
// which writes the WAL frames to the page cache and returns, and its callers are answered only
// after fdatasync of the WAL file has finished on libuv's thread pool. A commit that was answered
// is therefore on disk exactly as with FULL; only the waiting moved off the main thread. Commits
// that arrive while a sync runs share the next one.
//
// Checkpoints are what make synchronous=OFF dangerous: one that copies WAL frames into the main
// file without syncing it, followed by a WAL restart that overwrites those frames, could lose
// them on power failure. So this connection never checkpoints on its own (wal_autocheckpoint=0);
// checkpoint() runs one once CHECKPOINT_EVERY unsynced commits or CHECKPOINT_ROWS changed rows
// piled up (a bulk import commits thousands of messages at once), in this order:
//   1. a second connection (the guard) opens a read transaction: while it lasts, no writer of any
//      connection or process can restart the WAL (SQLite restarts it only when no reader uses it);
//   2. the WAL is synced (thread pool), so nothing is copied that is not durable in the WAL;
//   3. the frames up to the guard's snapshot are copied into the main file, unsynced (main thread:
//      copying pages into the page cache, no fsync);
//   4. the main file is synced (thread pool); 5. the guard ends.
// Grouped commits wait from 1 to 5 (their jobs queue and then commit as one group), so that the
// copy is complete when the guard ends and the next commit starts the WAL over: a checkpoint that
// runs beside a stream of commits never catches up (tried: in the index worker) and the WAL then
// grows for as long as the stream lasts. Before, the checkpoint ran under synchronous=FULL on the
// main thread and stopped the event loop for both fsyncs: 26 ms median, 58 ms at worst, every 32
// grouped commits of the bench/compare APPEND load. Ordinary (FULL) commits keep SQLite's automatic
// checkpoint, which then runs under FULL too.
import fsSync from 'node:fs';
import path from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { StoreUnavailableError } from '../errors.js';

/** Unsynced commits between two checkpoints (a grouped commit of 16 appends writes ~50 pages). */
const CHECKPOINT_EVERY = 32;
/** Rows changed by unsynced commits (an append changes about 15) after which a checkpoint runs. */
const CHECKPOINT_ROWS = 10_000;
/** SQLite's default automatic checkpoint threshold, in WAL pages, for ordinary commits. */
const AUTO_CHECKPOINT_PAGES = 1000;

export class WalDurability {
  private fd: number | null = null;
  /** Resolvers waiting for a sync that starts after their commit. */
  private waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private syncing = false;
  private commitsSinceCheckpoint = 0;
  private changesAtCheckpoint = 0;
  private closed = false;
  /** Set for good by a failed sync (see finish and checkpoint). */
  failure: StoreUnavailableError | null = null;
  /**
   * Set while a checkpoint runs (steps 1-5 above), resolved (never rejected) when it is over:
   * grouped commits wait for it.
   */
  paused: Promise<void> | null = null;
  /** The main file, opened for syncing it after a checkpoint copied pages into it. */
  private mainFd: number | null = null;
  /** The second connection whose read transaction keeps the WAL from restarting (step 1). */
  private readonly guard: Database.Database;
  private readonly guardBegin: Statement;
  private readonly guardRead: Statement;
  private readonly guardEnd: Statement;
  private readonly checkpointPassive: Statement;
  // Prepared once: they run around every grouped commit.
  private readonly toUnsynced: Statement[];
  private readonly toSynced: Statement[];
  private readonly totalChanges: Statement;

  constructor(
    private readonly db: Db,
    private readonly file: string,
  ) {
    this.toUnsynced = [db.prepare('PRAGMA synchronous = OFF'), db.prepare('PRAGMA wal_autocheckpoint = 0')];
    this.toSynced = [db.prepare('PRAGMA synchronous = FULL'), db.prepare(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`)];
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
    this.checkpointPassive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    this.guard = new Database(file, { fileMustExist: true });
    this.guard.pragma('busy_timeout = 10000');
    this.guardBegin = this.guard.prepare('BEGIN');
    // A read transaction takes its snapshot (and its hold on the WAL) at its first read.
    this.guardRead = this.guard.prepare("SELECT 1 FROM meta WHERE key = 'schema_version'").pluck();
    this.guardEnd = this.guard.prepare('COMMIT');
    // The WAL file must exist, and its directory entry be durable, before any commit relies on
    // syncing it alone: one durable write creates it, then the directory is synced.
    db.prepare("UPDATE meta SET value = value WHERE key = 'schema_version'").run();
    const dirFd = fsSync.openSync(path.dirname(file), 'r');
    try {
      fsSync.fsyncSync(dirFd);
    } finally {
      fsSync.closeSync(dirFd);
    }
  }

  /** Runs a write transaction whose commit is not synced; call sync() before answering anyone. */
  commitUnsynced<T>(run: () => T): T {
    if (this.failure) throw this.failure;
    for (const st of this.toUnsynced) runPragma(st);
    try {
      return run();
    } finally {
      for (const st of this.toSynced) runPragma(st);
      this.commitsSinceCheckpoint++;
    }
  }

  /**
   * Runs a write transaction whose durability nobody waits for, because losing it in a crash is
   * harmless (IMAP's \Recent claim: after a restart the messages are merely \Recent again). A FULL
   * commit stops the event loop for a WAL fsync (2-5 ms); this one is synced in the background with
   * the next grouped commit's sync, and a later FULL commit covers it too (WAL frames are ordered).
   */
  commitLazily<T>(run: () => T): T {
    if (this.db.inTransaction) return run();
    const out = this.commitUnsynced(run);
    // A failed sync is kept in `failure`, which fails every later commit: nothing to add here.
    this.sync().catch(() => undefined);
    return out;
  }

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.syncing = true;
    let fd: number;
    try {
      fd = this.walFd();
    } catch (error) {
      this.finish(batch, error);
      return;
    }
    fsSync.fdatasync(fd, (error) => this.finish(batch, error ?? undefined));
  }

  private finish(batch: Array<{ resolve: () => void; reject: (error: unknown) => void }>, error?: unknown): void {
    this.syncing = false;
    if (error && !this.failure) {
      // After a failed fsync the kernel may have dropped the pages it could not write, so what is
      // on disk is unknown; committing more on top would only widen the gap. Like PostgreSQL, give
      // up: every later store call fails (a temporary error to clients, nothing acknowledged), and
      // a restart recovers what the disk really holds.
      this.failure = new StoreUnavailableError(`the store's disk failed to sync (${(error as Error).message ?? String(error)}); restart Tessera after checking the disk`, { cause: error });
    }
    for (const w of batch) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
    if (this.waiting.length) this.startSync();
    else this.maybeCheckpoint();
  }

  private walFd(): number {
    // SQLite keeps the -wal file (same inode; it only truncates it) while this connection is open.
    if (this.fd === null) this.fd = fsSync.openSync(`${this.file}-wal`, 'r+');
    return this.fd;
  }

  /** Starts a checkpoint once enough unsynced work piled up. */
  private maybeCheckpoint(): void {
    if (this.closed || this.paused || this.failure) return;
    const changed = (this.totalChanges.get() as number) - this.changesAtCheckpoint;
    if (this.commitsSinceCheckpoint < CHECKPOINT_EVERY && changed < CHECKPOINT_ROWS) return;
    this.paused = this.checkpoint().finally(() => {
      this.paused = null;
    });
  }

  /** Steps 1-5 of the header; a failure is kept in `failure`, as a failed WAL sync is. */
  private async checkpoint(): Promise<void> {
    this.guardBegin.run();
    try {
      this.guardRead.get();
      await this.sync();
      // Between event-loop turns no transaction is open, unless a caller left one (then: next time).
      if (this.db.inTransaction) return;
      for (const st of this.toUnsynced) runPragma(st);
      try {
        this.checkpointPassive.get();
      } finally {
        for (const st of this.toSynced) runPragma(st);
      }
      this.commitsSinceCheckpoint = 0;
      this.changesAtCheckpoint = this.totalChanges.get() as number;
      const fd = this.mainFd ?? (this.mainFd = fsSync.openSync(this.file, 'r'));
      await new Promise<void>((resolve, reject) => fsSync.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      // A WAL sync that failed has set `failure` already; a failed copy or main-file sync leaves
      // the main file in an unknown state, so the store stops as after a failed WAL sync.
      this.failure ??= new StoreUnavailableError(`the store's checkpoint failed (${(error as Error).message ?? String(error)}); restart Tessera after checking the disk`, { cause: error });
    } finally {
      this.guardEnd.run();
    }
  }

  /** Waits for a running checkpoint, then lets go of the files. */
  async close(): Promise<void> {
    this.closed = true;
    await this.paused;
    for (const fd of [this.fd, this.mainFd]) {
      if (fd === null) continue;
      try {
        fsSync.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fd = this.mainFd = null;
    this.guard.close();
  }
}

/** Setting wal_autocheckpoint answers a row, setting synchronous does not. */
function runPragma(st: Statement): void {
  if (st.reader) st.get();
  else st.run();
}
