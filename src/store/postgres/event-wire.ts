// What the PostgreSQL event bus (event-relay.ts) puts in a NOTIFY payload, and reading it back.
//
// A payload is JSON `{"v":1,"n":node,"s":seq,"e":[events…]}`: the sending node (receivers skip their
// own, already delivered locally), a per-node sequence number (a receiver that sees a gap knows it
// missed notifications and resynchronises) and the events, which carry ids, UIDs, modseqs and state
// strings, never message content. PostgreSQL refuses payloads of 8000 bytes or more, so a batch is
// packed into as many payloads as it needs and an event too big for one (a flag change on thousands
// of messages) is split along its list. A single item that still does not fit cannot be carried:
// it becomes a resync of its account (the receivers re-read that account's state from the store).
import type { BusEvent, ResyncEvent } from '../../events/types.js';

/** PostgreSQL's limit is 8000 bytes; the margin covers the envelope's digits. */
export const MAX_PAYLOAD_BYTES = 7900;

const WIRE_VERSION = 1;

export interface WirePayload {
  node: string;
  seq: number;
  /** Events, or a resync request for what could not be carried. */
  items: Array<BusEvent | ResyncEvent>;
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Longest revocation reason carried (it is for logs and the BYE text; user input may be long). */
const MAX_REASON = 200;

/**
 * The events as pieces that each fit a payload beside the envelope. Lists are split greedily;
 * what cannot be split small enough becomes a ResyncEvent.
 */
export function splitForWire(event: BusEvent, budget = MAX_PAYLOAD_BYTES - 100): Array<BusEvent | ResyncEvent> {
  if (event.type === 'session-revoked' && event.reason.length > MAX_REASON) event = { ...event, reason: event.reason.slice(0, MAX_REASON) };
  if (bytes(event) <= budget) return [event];
  let pieces: Array<BusEvent | ResyncEvent> | undefined;
  switch (event.type) {
    case 'messages-added':
      pieces = chunk(event.messages, budget - bytes({ ...event, messages: [] }), (messages) => ({ ...event, messages }));
      break;
    case 'flags-changed':
      pieces = chunk(event.messages, budget - bytes({ ...event, messages: [] }), (messages) => ({ ...event, messages }));
      break;
    case 'messages-expunged':
      pieces = chunk(event.uids, budget - bytes({ ...event, uids: [] }), (uids) => ({ ...event, uids }));
      break;
    case 'state-changed':
      pieces = chunk(Object.entries(event.changed), budget - bytes({ ...event, changed: {} }), (entries) => ({
        ...event,
        changed: Object.fromEntries(entries),
      }));
      break;
    default:
      break;
  }
  if (pieces) return pieces;
  // Paths or names too long to notify: the receivers re-read instead.
  const reason = 'event too large for a notification';
  return event.type === 'session-revoked' || event.type === 'push-subscription-changed'
    ? [{ type: 'resync', reason }]
    : [{ type: 'resync', account: event.account, reason }];
}

/** Greedy split of `items` into runs whose JSON fits `room`; undefined when one item alone does not. */
function chunk<T>(items: readonly T[], room: number, make: (run: T[]) => BusEvent): BusEvent[] | undefined {
  const size = (item: T): number => bytes(item) + 1;
  if (items.some((item) => size(item) > room)) return undefined;
  return runs(items, size, room).map(make);
}

/** Consecutive runs of `items` whose sizes add up to at most `room` (a lone item bigger than room gets a run of its own). */
function runs<T>(items: readonly T[], size: (item: T) => number, room: number): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let used = 0;
  for (const item of items) {
    const n = size(item);
    if (run.length > 0 && used + n > room) {
      out.push(run);
      run = [];
      used = 0;
    }
    run.push(item);
    used += n;
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** Packs pieces (each small enough, see splitForWire) into payload texts, in order, numbering them from `nextSeq`. */
export function packPayloads(node: string, pieces: ReadonlyArray<BusEvent | ResyncEvent>, nextSeq: () => number): string[] {
  const overhead = bytes({ v: WIRE_VERSION, n: node, s: Number.MAX_SAFE_INTEGER, e: [] });
  const texts = pieces.map((piece) => JSON.stringify(piece));
  return runs(texts, (text) => Buffer.byteLength(text) + 1, MAX_PAYLOAD_BYTES - overhead).map(
    (run) => `{"v":${WIRE_VERSION},"n":${JSON.stringify(node)},"s":${nextSeq()},"e":[${run.join(',')}]}`,
  );
}

/** Error for a payload that is not one of ours (another program on the channel, or a newer version). */
export class BadPayloadError extends Error {
  override readonly name = 'BadPayloadError';
}

const ACCOUNT_TYPES = new Set([
  'messages-added',
  'flags-changed',
  'messages-expunged',
  'mailbox-created',
  'mailbox-renamed',
  'mailbox-deleted',
  'mailbox-updated',
  'rights-changed',
  'metadata-changed',
  'state-changed',
]);

/** Parses and checks a payload's envelope and each item's discriminating fields. */
export function decodePayload(text: string): WirePayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadPayloadError('not JSON');
  }
  if (!isObject(value) || value.v !== WIRE_VERSION) throw new BadPayloadError('unknown payload version');
  const { n, s, e } = value;
  if (typeof n !== 'string' || typeof s !== 'number' || !Number.isSafeInteger(s) || !Array.isArray(e)) throw new BadPayloadError('malformed envelope');
  const items: Array<BusEvent | ResyncEvent> = [];
  for (const item of e as unknown[]) {
    if (!isObject(item) || typeof item.type !== 'string') throw new BadPayloadError('malformed event');
    const accountOk = typeof item.account === 'string';
    const mailboxOk = typeof item.mailboxId === 'string' || item.type === 'state-changed' || (item.type === 'metadata-changed' && item.mailboxId === null);
    if (ACCOUNT_TYPES.has(item.type) && accountOk && mailboxOk) items.push(item as unknown as BusEvent);
    else if (item.type === 'session-revoked' && typeof item.reason === 'string') items.push(item as unknown as BusEvent);
    else if (item.type === 'push-subscription-changed' && typeof item.user === 'string' && typeof item.id === 'string') items.push(item as unknown as BusEvent);
    else if (item.type === 'resync' && typeof item.reason === 'string' && (item.account === undefined || accountOk)) items.push(item as unknown as ResyncEvent);
    else throw new BadPayloadError(`malformed event of type ${item.type.slice(0, 40)}`);
  }
  return { node: n, seq: s, items };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a receiver does with one payload: deliver its items, after a resync when some were missed. */
export type Received =
  | { kind: 'own' }
  | { kind: 'duplicate' }
  | { kind: 'deliver'; node: string; items: Array<BusEvent | ResyncEvent>; missed?: { from: string; expected: number; got: number } };

/**
 * The receiving side of the wire, shared by every relay (PostgreSQL NOTIFY, cluster IPC): skips the
 * node's own payloads and ones already seen, and notices sequence gaps (notifications missed).
 */
export class PayloadSequencer {
  /** Last sequence number seen from each other node since the last reset. */
  private readonly lastSeq = new Map<string, number>();

  constructor(private readonly ownNode: string) {}

  /** Forget every sender (a new listening connection: its first payloads have no predecessor). */
  reset(): void {
    this.lastSeq.clear();
  }

  /** Throws BadPayloadError for a payload that is not ours. */
  accept(payload: string): Received {
    const decoded = decodePayload(payload);
    if (decoded.node === this.ownNode) return { kind: 'own' };
    const last = this.lastSeq.get(decoded.node);
    // A batch whose acknowledgement was lost is sent again: its numbers were seen already.
    if (last !== undefined && decoded.seq <= last) return { kind: 'duplicate' };
    this.lastSeq.set(decoded.node, decoded.seq);
    // The first payload of a node (or after reconnecting) has no predecessor to compare with.
    if (last !== undefined && decoded.seq !== last + 1) {
      return { kind: 'deliver', node: decoded.node, items: decoded.items, missed: { from: decoded.node, expected: last + 1, got: decoded.seq } };
    }
    return { kind: 'deliver', node: decoded.node, items: decoded.items };
  }
}
