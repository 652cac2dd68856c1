// Process figures for /metrics: memory, event-loop lag and open file descriptors, refreshed per scrape.
import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metrics } from '../core/metrics.js';

const rss = metrics.gauge('process_resident_memory_bytes', 'Resident set size in bytes.');
const heapUsed = metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.');
const heapTotal = metrics.gauge('nodejs_heap_total_bytes', 'V8 heap allocated, bytes.');
const lagP99 = metrics.gauge('nodejs_eventloop_lag_p99_seconds', 'Event-loop delay, 99th percentile since the previous scrape, seconds.');
const lagMax = metrics.gauge('nodejs_eventloop_lag_max_seconds', 'Event-loop delay, maximum since the previous scrape, seconds.');
const openFds = metrics.gauge('process_open_fds', 'Open file descriptors (Linux /proc; absent elsewhere).');
const startTime = metrics.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.');

/** Starts sampling the event loop; returns the function that stops it and the collector. */
export function startProcessMetrics(): () => void {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  startTime.set({}, Math.round(Date.now() / 1000 - process.uptime()));
  const stopCollecting = metrics.collect(async () => {
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heapUsed.set({}, mem.heapUsed);
    heapTotal.set({}, mem.heapTotal);
    lagP99.set({}, delay.percentile(99) / 1e9);
    lagMax.set({}, delay.max / 1e9);
    delay.reset();
    try {
      openFds.set({}, (await readdir('/proc/self/fd')).length);
    } catch {
      // Not Linux: the gauge stays unset rather than reporting a made-up figure.
    }
  });
  return () => {
    delay.disable();
    stopCollecting();
  };
}
