// What the PostgreSQL event bus (event-relay.ts) puts in a NOTIFY payload, and reading it back.
//
// A payload is JSON `{"v":1,"n":node,"s":seq,"e":[events…]}`: the sending node (receivers skip their
// own, already delivered locally), a per-node sequence number (a receiver that finds one missing
// knows it missed notifications and resynchronises, see PayloadSequencer) and the events, which carry ids, UIDs, modseqs and state
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
  return runs(texts, (text) => Buffer.byteLength(text) + 1, MAX_PAYLOAD_BYTES - overhead).map((run) => envelope(node, nextSeq(), run));
}

/**
 * A payload that stands in for sequence number `seq` after all: empty for numbers whose
 * notifications were rolled back (receivers see no gap and deliver nothing), a resync when it is
 * unknown whether they were sent. Items must be small (a resync of one account or of all).
 */
export function standInPayload(node: string, seq: number, items: readonly ResyncEvent[]): string {
  return envelope(node, seq, items.map((item) => JSON.stringify(item)));
}

function envelope(node: string, seq: number, texts: readonly string[]): string {
  return `{"v":${WIRE_VERSION},"n":${JSON.stringify(node)},"s":${seq},"e":[${texts.join(',')}]}`;
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

/** Notifications of `from` that never came: numbers `expected` up to `got` - 1. */
export interface Missed {
  from: string;
  expected: number;
  got: number;
}

/** What a receiver does with one payload: deliver its items, after a resync when some were missed. */
export type Received =
  | { kind: 'own' }
  | { kind: 'duplicate' }
  | { kind: 'deliver'; node: string; items: Array<BusEvent | ResyncEvent>; missed?: Missed };

/** A hole this wide is not waited for: that many notifications do not come late, they were dropped. */
const MAX_AWAITED = 1000;

/** One sender's numbers as seen by a receiver. */
interface SenderState {
  /** Highest number seen. */
  high: number;
  /** Numbers below `high` not seen yet, with the time (ms) after which they count as missed. */
  awaited: Map<number, number>;
  /** The first number seen: lower ones may still come (committed later) until `lateUntil` (ms). */
  first: number;
  lateUntil: number;
  /** The lower ones that came. */
  lateSeen: Set<number>;
}

/**
 * The receiving side of the wire, shared by every relay (PostgreSQL NOTIFY, cluster IPC): skips the
 * node's own payloads and ones already seen, and notices sequence gaps (notifications missed).
 *
 * With `reorderWindowMs` 0 (an ordered channel: cluster IPC) a gap is a loss at once. The PostgreSQL
 * store sends its notifications inside the write transactions (event-relay.ts), which take their
 * numbers just before COMMIT and may commit, hence arrive, in another order than they took them. So
 * there a number skipped over is awaited for `reorderWindowMs`: it arriving late is delivered then,
 * and only a number still missing when its time is up is reported (by expire()), so a truly lost
 * notification still causes a resync within the window. A transaction that rolls back after taking
 * numbers has its sender announce them (standInPayload), which fills the hole without a resync.
 */
export class PayloadSequencer {
  private readonly senders = new Map<string, SenderState>();

  constructor(
    private readonly ownNode: string,
    private readonly reorderWindowMs = 0,
  ) {}

  /** Forget every sender (a new listening connection: its first payloads have no predecessor). */
  reset(): void {
    this.senders.clear();
  }

  /** Throws BadPayloadError for a payload that is not ours. */
  accept(payload: string, now = Date.now()): Received {
    const decoded = decodePayload(payload);
    if (decoded.node === this.ownNode) return { kind: 'own' };
    const deliver: Received = { kind: 'deliver', node: decoded.node, items: decoded.items };
    const state = this.senders.get(decoded.node);
    // The first payload of a node (or after reconnecting) has no predecessor to compare with.
    if (!state) {
      const late = this.reorderWindowMs > 0 ? now + this.reorderWindowMs : now - 1;
      this.senders.set(decoded.node, { high: decoded.seq, awaited: new Map(), first: decoded.seq, lateUntil: late, lateSeen: new Set() });
      return deliver;
    }
    if (decoded.seq <= state.high) {
      // A late one that was awaited, or one that took its number before the first one seen and
      // committed after it; otherwise a batch sent again because its acknowledgement was lost.
      if (state.awaited.delete(decoded.seq)) return deliver;
      if (decoded.seq < state.first && now <= state.lateUntil && !state.lateSeen.has(decoded.seq)) {
        state.lateSeen.add(decoded.seq);
        return deliver;
      }
      return { kind: 'duplicate' };
    }
    const expected = state.high + 1;
    state.high = decoded.seq;
    if (decoded.seq === expected) return deliver;
    if (this.reorderWindowMs <= 0 || decoded.seq - expected > MAX_AWAITED) {
      return { ...deliver, missed: { from: decoded.node, expected, got: decoded.seq } };
    }
    for (let n = expected; n < decoded.seq; n++) state.awaited.set(n, now + this.reorderWindowMs);
    return deliver;
  }

  /** The numbers whose time is up by `now`, one report per run of consecutive ones; forgets them. */
  expire(now = Date.now()): Missed[] {
    const out: Missed[] = [];
    for (const [from, state] of this.senders) {
      let run: Missed | undefined;
      for (const [n, deadline] of [...state.awaited].sort((a, b) => a[0] - b[0])) {
        if (deadline > now) continue;
        state.awaited.delete(n);
        if (run && run.got === n) run.got = n + 1;
        else out.push((run = { from, expected: n, got: n + 1 }));
      }
    }
    return out;
  }

  /** When the earliest awaited number's time is up (ms), or undefined when none is awaited. */
  nextDeadline(): number | undefined {
    let first: number | undefined;
    for (const state of this.senders.values()) for (const deadline of state.awaited.values()) if (first === undefined || deadline < first) first = deadline;
    return first;
  }
}
