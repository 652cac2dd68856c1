// Group commit: appends share one write transaction, hence one WAL fsync. Each job of a group of
// several runs in its own savepoint, so one job's error (over quota, mailbox deleted meanwhile)
// rolls back only that job; a lone job's error rolls back the transaction.
// Blob files are fsynced before their job is queued. The commit itself does not wait for the WAL
// fsync on the main thread: its jobs are answered once the thread pool has synced it (wal-sync.ts).
//
// Who shares a transaction: an append announces itself (ticket) before it writes its blob, and a
// group is committed once every append announced before the group's first job has joined or given
// up, or after MAX_WAIT_MS. Concurrent appends then commit in cohorts instead of one or two per
// transaction (their blob fsyncs finish at different times), while a lone append commits at once.
import type { Ctx } from './context.js';
import { savepoint, writeTx } from './context.js';

/** Longest a queued append waits for appends that started before it. */
const MAX_WAIT_MS = 4;

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Group {
  jobs: Job[];
  /** Sequence number of the last announced append. */
  announced: number;
  /** Announced appends that have neither queued a job nor given up. */
  outstanding: Set<number>;
  /** The group waits for outstanding appends announced up to here. */
  cutoff: number;
  timer: NodeJS.Timeout | null;
  scheduled: boolean;
  /** The group waits for a running checkpoint to end (see flush). */
  waitingForCheckpoint: boolean;
}

export interface CommitTicket {
  readonly seq: number;
}

const groups = new WeakMap<Ctx, Group>();

function groupOf(ctx: Ctx): Group {
  let g = groups.get(ctx);
  if (!g) groups.set(ctx, (g = { jobs: [], announced: 0, outstanding: new Set(), cutoff: 0, timer: null, scheduled: false, waitingForCheckpoint: false }));
  return g;
}

/** Announces an append that will call commitGrouped (or abandon) once its blobs are durable. */
export function announceAppend(ctx: Ctx): CommitTicket {
  const g = groupOf(ctx);
  const seq = ++g.announced;
  g.outstanding.add(seq);
  return { seq };
}

/** The announced append failed before reaching the commit. */
export function abandonAppend(ctx: Ctx, ticket: CommitTicket): void {
  const g = groupOf(ctx);
  if (g.outstanding.delete(ticket.seq)) maybeFlush(ctx, g);
}

export function commitGrouped<T>(ctx: Ctx, work: () => T, ticket?: CommitTicket): Promise<T> {
  const g = groupOf(ctx);
  if (ticket) g.outstanding.delete(ticket.seq);
  return new Promise<T>((resolve, reject) => {
    if (!g.jobs.length) {
      g.cutoff = g.announced;
      g.timer = setTimeout(() => schedule(ctx, g), MAX_WAIT_MS);
    }
    g.jobs.push({ work, resolve: resolve as (v: unknown) => void, reject });
    maybeFlush(ctx, g);
  });
}

function maybeFlush(ctx: Ctx, g: Group): void {
  if (!g.jobs.length) return;
  for (const seq of g.outstanding) if (seq <= g.cutoff) return;
  schedule(ctx, g);
}

/** Flushes on the next turn, so appends that become ready in this one still join. */
function schedule(ctx: Ctx, g: Group): void {
  if (g.scheduled) return;
  g.scheduled = true;
  setImmediate(() => flush(ctx, g));
}

function flush(ctx: Ctx, g: Group): void {
  g.scheduled = false;
  if (g.timer) clearTimeout(g.timer);
  g.timer = null;
  if (!g.jobs.length) return;
  // While a checkpoint copies the WAL into the main file, commits wait (the event loop does not),
  // so that the copy completes and the next commit starts the WAL over (wal-sync.ts). Jobs that
  // queue meanwhile commit as one group afterwards.
  const paused = ctx.wal.paused;
  if (paused) {
    if (!g.waitingForCheckpoint) {
      g.waitingForCheckpoint = true;
      void paused.then(() => {
        g.waitingForCheckpoint = false;
        schedule(ctx, g);
      });
    }
    return;
  }
  const jobs = g.jobs.splice(0, g.jobs.length);
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  try {
    ctx.wal.commitUnsynced(() => writeTx(ctx, () => {
      // A lone job needs no savepoint: its failure rolls back the transaction, which holds nothing
      // else. A savepoint makes SQLite copy every page the job changes into a statement journal,
      // which for one delivery (about 30 pages) passes the 64 KiB kept in memory and goes to a
      // temporary file: per message, a file was created, written (some 35 calls) and removed.
      if (jobs.length === 1) {
        outcomes.push({ ok: true, value: jobs[0]!.work() });
        return;
      }
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: savepoint(ctx, job.work) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    }));
  } catch (error) {
    for (const job of jobs) job.reject(error);
    return;
  }
  // Nobody hears of the commit before it is on disk (see wal-sync.ts).
  ctx.wal.sync().then(
    () =>
      jobs.forEach((job, i) => {
        const o = outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      }),
    (error: unknown) => {
      for (const job of jobs) job.reject(error);
    },
  );
}
