// Process figures for /metrics: prom-client's default metrics (CPU, resident memory, open and
// maximum file descriptors, start time, event-loop lag percentiles since the previous scrape, heap
// spaces, GC durations, active handles), plus the two heap gauges Tessera published before it used
// prom-client, kept under their names so existing dashboards keep working.
import { collectDefaultMetrics } from 'prom-client';
import { metrics } from '../core/metrics.js';

const heapUsed = metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes (as nodejs_heap_size_used_bytes).');
const heapTotal = metrics.gauge('nodejs_heap_total_bytes', 'V8 heap allocated, bytes (as nodejs_heap_size_total_bytes).');

/** The default metrics are process-wide, as the registry is: registered once, whatever the number of servers in this process. */
let defaultsRegistered = false;

/** Starts the process figures; returns the function that stops refreshing Tessera's own gauges. */
export function startProcessMetrics(): () => void {
  if (!defaultsRegistered) {
    // 20 ms: the event-loop delay resolution Tessera sampled at before.
    collectDefaultMetrics({ register: metrics.prometheus, eventLoopMonitoringPrecision: 20 });
    defaultsRegistered = true;
  }
  return metrics.collect(() => {
    const mem = process.memoryUsage();
    heapUsed.set({}, mem.heapUsed);
    heapTotal.set({}, mem.heapTotal);
  });
}
