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

/**
 * What one worker may ask of every worker (itself included) through the supervisor: their metrics
 * for a /metrics scrape, their live sessions for `tessera sessions list` and WebAdmin (all, or how
 * many a revocation names), or that the one holding a session end it. See gather.ts (the
 * supervisor) and worker-gather.ts (a worker).
 */
export type GatherKind = 'metrics' | 'sessions' | 'count-sessions' | 'end-session';
const GATHER_KINDS: readonly string[] = ['metrics', 'sessions', 'count-sessions', 'end-session'] satisfies GatherKind[];

/** From a worker: ask every worker (answer: GatheredMessage with the same id). */
export interface GatherMessage {
  tessera: 'gather';
  id: number;
  what: GatherKind;
  /** What the question needs (end-session: which session, why); plain JSON. */
  arg?: unknown;
}

/** From the supervisor to every worker: answer with a GatherReplyMessage of the same id. */
export interface GatherRequestMessage {
  tessera: 'gather-request';
  id: number;
  what: GatherKind;
  arg?: unknown;
}

/** A worker's answer; null when it has none (still starting, or it failed: logged there). */
export interface GatherReplyMessage {
  tessera: 'gather-reply';
  id: number;
  part: unknown;
}

/** From the supervisor to the asking worker: the answers that came in time (nulls left out). */
export interface GatheredMessage {
  tessera: 'gathered';
  id: number;
  parts: unknown[];
}

export type ClusterMessage =
  | ReadyMessage
  | EventsMessage
  | StopMessage
  | GatherMessage
  | GatherRequestMessage
  | GatherReplyMessage
  | GatheredMessage;

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
    case 'gather':
    case 'gather-request':
      if (!Number.isSafeInteger(m.id) || typeof m.what !== 'string' || !GATHER_KINDS.includes(m.what)) return undefined;
      return { tessera: m.tessera, id: m.id as number, what: m.what as GatherKind, ...('arg' in m ? { arg: m.arg } : {}) };
    case 'gather-reply':
      return Number.isSafeInteger(m.id) ? { tessera: 'gather-reply', id: m.id as number, part: m.part ?? null } : undefined;
    case 'gathered':
      return Number.isSafeInteger(m.id) && Array.isArray(m.parts) ? { tessera: 'gathered', id: m.id as number, parts: m.parts as unknown[] } : undefined;
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
