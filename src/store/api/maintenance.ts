// Housekeeping a long-running server schedules: expired uploads, unreferenced blob files and
// change records older than the retention window.

export interface StoreMaintenance {
  /** Deletes expired uploads and blob files nothing refers to. Returns files removed. */
  collectGarbage(now?: Date): Promise<number>;
}
