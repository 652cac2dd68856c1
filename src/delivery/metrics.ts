// The delivery core's Prometheus metrics, on the process-wide registry (src/core/metrics).
import { metrics } from '../core/metrics.js';
import type { OutboundQueue } from '../store/api/outbound.js';

export const deliveriesTotal = metrics.counter(
  'tessera_deliveries_total',
  'Recipients handled: kind local (stored in a mailbox) or outbound (remote relay); outcome delivered, queued, deferred or failed.',
  ['kind', 'outcome'],
);

// One queue in the store, read alike by every server process: their figures are not added up.
const queueDepth = metrics.gauge('tessera_outbound_queue_depth', 'Messages waiting in the outbound queue.', [], 'max');
const queueOldest = metrics.gauge('tessera_outbound_queue_oldest_age_seconds', 'Age of the oldest message in the outbound queue (0 when empty).', [], 'max');

/** Refreshes the queue gauges at each scrape; returns the function that stops it. */
export function collectQueueMetrics(store: Pick<OutboundQueue, 'listOutbound'>, now: () => number = Date.now): () => void {
  return metrics.collect(async () => {
    const items = await store.listOutbound({ status: 'queued' });
    queueDepth.set({}, items.length);
    const oldest = items.reduce((min, i) => Math.min(min, i.createdAt.getTime()), Infinity);
    queueOldest.set({}, items.length === 0 ? 0 : Math.max(0, (now() - oldest) / 1000));
  });
}
