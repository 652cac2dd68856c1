// The listener's Prometheus metrics: connections per listener (src/core/metrics). The listener name
// is the block's jmxName (imapserver, smtp-submission…), which names its protocol.
import { metrics } from '../core/metrics.js';

export const connectionsTotal = metrics.counter('tessera_connections_total', 'TCP connections accepted, by listener.', ['listener']);
export const connectionsOpen = metrics.gauge('tessera_connections_open', 'TCP connections open now, by listener.', ['listener']);
export const connectionsRefused = metrics.counter(
  'tessera_connections_refused_total',
  'Connections refused at accept: reason limit, perIpLimit or stopping; on PROXY protocol listeners also proxyUntrusted (peer outside proxy.trustedNetworks) or proxyHeader (header missing, invalid or late).',
  ['listener', 'reason'],
);
