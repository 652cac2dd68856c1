// Periodic store housekeeping for a running server: expired JMAP uploads, blob files nothing refers
// to any more (destroyed mail) and change records older than the retention window. Without it
// `uploadTtlMs` and `changeRetentionDays` would never take effect and the blob directory would only
// grow. One sweep at a time; a failed sweep is logged and retried at the next tick.
import type { Logger } from '../log/logger.js';
import type { StoreMaintenance } from '../store/types.js';

/** Hourly: a sweep walks the blob directory once, cheap next to what an hour of mail writes. */
export const STORE_SWEEP_INTERVAL_MS = 3600_000;

export interface StoreSweeper {
  /** Resolves when a sweep in progress (if any) has finished; no sweep starts afterwards. */
  stop(): Promise<void>;
}

export function startStoreSweeper(store: StoreMaintenance, logger: Logger, intervalMs = STORE_SWEEP_INTERVAL_MS): StoreSweeper {
  let running: Promise<void> | undefined;
  let stopped = false;
  const sweep = (): void => {
    if (running || stopped) return;
    running = store
      .collectGarbage()
      .then((removed) => {
        if (removed > 0) logger.info({ removed }, 'store sweep removed unreferenced blob files');
      })
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'store sweep failed; retried at the next interval'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
