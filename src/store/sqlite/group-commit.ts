// Group commit: appends that become ready in the same event-loop turn share one write transaction,
// hence one WAL fsync. Each job runs in its own savepoint, so one job's error (over quota, mailbox
// deleted meanwhile) rolls back only that job. Blob files are fsynced before their job is queued.
import type { Ctx } from './context.js';
import { writeTx } from './context.js';

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Group {
  jobs: Job[];
  scheduled: boolean;
}

const groups = new WeakMap<Ctx, Group>();

export function commitGrouped<T>(ctx: Ctx, work: () => T): Promise<T> {
  let group = groups.get(ctx);
  if (!group) groups.set(ctx, (group = { jobs: [], scheduled: false }));
  const g = group;
  return new Promise<T>((resolve, reject) => {
    g.jobs.push({ work, resolve: resolve as (v: unknown) => void, reject });
    if (!g.scheduled) {
      g.scheduled = true;
      setImmediate(() => flush(ctx, g));
    }
  });
}

function flush(ctx: Ctx, g: Group): void {
  g.scheduled = false;
  const jobs = g.jobs.splice(0, g.jobs.length);
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  try {
    writeTx(ctx, () => {
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: ctx.db.transaction(job.work)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (error) {
    for (const job of jobs) job.reject(error);
    return;
  }
  jobs.forEach((job, i) => {
    const o = outcomes[i]!;
    if (o.ok) job.resolve(o.value);
    else job.reject(o.error);
  });
}
