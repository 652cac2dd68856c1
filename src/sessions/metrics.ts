// Session control's Prometheus metrics: authenticated sessions by protocol (src/core/metrics).
import { metrics } from '../core/metrics.js';

export const sessionsStarted = metrics.counter('tessera_sessions_total', 'Authenticated sessions started, by protocol.', ['protocol']);
export const sessionsOpen = metrics.gauge('tessera_sessions_open', 'Authenticated sessions live now, by protocol.', ['protocol']);
export const sessionsRevoked = metrics.counter('tessera_sessions_ended_by_server_total', 'Sessions the server ended (revocation, logout, token expiry), by protocol.', ['protocol']);
