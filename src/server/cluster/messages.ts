// What the supervising primary and its workers say to each other over the cluster IPC channel
// (`server.processes` > 1). Every message carries `tessera` so that anything else a library might
// send on the channel is told apart and ignored.
import type { MetricsSnapshot } from '../../core/metrics.js';

/** A worker's listeners are all bound and its shared resources open. */
export interface ReadyMessage {
  tessera: 'ready';
}

/**
 * Event-bus payloads: from a worker to the primary, which hands them to every other worker. The
 * texts are the PostgreSQL relay's wire format (store/postgres/event-wire.ts): node id, sequence
 * number, events.
 */
export interface EventsMessage {
  tessera: 'events';
  payloads: string[];
}

/** From the primary: stop gracefully (as on SIGTERM) and exit. */
export interface StopMessage {
  tessera: 'stop';
}

/** From the worker answering a /metrics scrape: gather every worker's series (answer: MetricsGathered). */
export interface MetricsGatherMessage {
  tessera: 'metrics-gather';
  id: number;
}

/** From the primary to that worker: the exposition text of every worker together, or why there is none. */
export type MetricsGatheredMessage = { tessera: 'metrics-gathered'; id: number } & ({ text: string } | { error: string });

/** From the primary to every worker: send your series (answer: MetricsReply with the same id). */
export interface MetricsRequestMessage {
  tessera: 'metrics-request';
  id: number;
}

/** A worker's series (core/metrics.ts MetricsSnapshot, checked no further: it comes from our own code). */
export interface MetricsReplyMessage {
  tessera: 'metrics-reply';
  id: number;
  snapshot: MetricsSnapshot;
}

export type ClusterMessage =
  | ReadyMessage
  | EventsMessage
  | StopMessage
  | MetricsGatherMessage
  | MetricsGatheredMessage
  | MetricsRequestMessage
  | MetricsReplyMessage;

/** Narrows an IPC message to one of ours; anything else (or a malformed one) is undefined. */
export function asClusterMessage(value: unknown): ClusterMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.tessera) {
    case 'ready':
    case 'stop':
      return { tessera: m.tessera };
    case 'events':
      return Array.isArray(m.payloads) && m.payloads.every((p) => typeof p === 'string') ? { tessera: 'events', payloads: m.payloads as string[] } : undefined;
    case 'metrics-gather':
    case 'metrics-request':
      return Number.isSafeInteger(m.id) ? { tessera: m.tessera, id: m.id as number } : undefined;
    case 'metrics-gathered':
      if (!Number.isSafeInteger(m.id)) return undefined;
      if (typeof m.text === 'string') return { tessera: 'metrics-gathered', id: m.id as number, text: m.text };
      return typeof m.error === 'string' ? { tessera: 'metrics-gathered', id: m.id as number, error: m.error } : undefined;
    case 'metrics-reply':
      return Number.isSafeInteger(m.id) && Array.isArray(m.snapshot) ? { tessera: 'metrics-reply', id: m.id as number, snapshot: m.snapshot as MetricsSnapshot } : undefined;
    default:
      return undefined;
  }
}

/** The environment variable that gives a worker its slot (1…processes); the first slot holds the singletons. */
export const WORKER_SLOT_ENV = 'TESSERA_WORKER_SLOT';

/** The IPC end of a worker: `process` in a cluster worker, a stand-in in tests. */
export interface IpcChannel {
  send?: ((message: ClusterMessage) => boolean) | undefined;
  readonly connected?: boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}
