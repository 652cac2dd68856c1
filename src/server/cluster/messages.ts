// What the supervising primary and its workers say to each other over the cluster IPC channel
// (`server.processes` > 1). Every message carries `tessera` so that anything else a library might
// send on the channel is told apart and ignored.

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

export type ClusterMessage = ReadyMessage | EventsMessage | StopMessage;

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
    default:
      return undefined;
  }
}

/** The environment variable that gives a worker its slot (1…processes); the first slot holds the singletons. */
export const WORKER_SLOT_ENV = 'TESSERA_WORKER_SLOT';
