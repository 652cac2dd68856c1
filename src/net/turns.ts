// Fair shares of the event loop for connections with work queued (pipelined commands, message
// slices). Work waits in one queue, first come first served, and one turn of the event loop starts
// queued work only until TURN_BUDGET_MS have passed; the rest waits for the next turn, still in
// order. Why a budget rather than simply one command per connection per turn: the poll phase between
// turns is where sockets are read and connections accepted, and libuv accepts one connection per
// loop iteration. With a turn as long as one command from every busy connection, 200 connections
// flooding pipelined commands made each turn last tens of milliseconds, so a user connecting behind
// a burst of 150 new connections waited seconds to be accepted.
//
// Two kinds of work wait: a connection's first piece of work after it waited for the network (an
// interactive client's command: a user logging in) and the work that follows on from work already
// done (pipelined commands, the next slice of a message being received). The first kind goes first:
// in plain arrival order a login queued behind one slice of each of 200 connections streaming
// messages, a round of the whole queue, and waited hundreds of milliseconds. Neither kind starves:
// a turn that follows one in which no continuing work ran starts with a piece of it.
//
// Connections waiting to be accepted shorten the turns. libuv takes one connection from the listen
// queue per loop iteration while the loop is busy (measured: 100 queued connects took 100
// iterations, io_uring or not), so a user connecting behind a burst of 150 attacker connects waits
// 150 iterations, each at least one full budget long: the worst logins of bench/hostile were all
// this wait, at the start of each attack. A turn in whose iteration a connection was accepted (more
// may be queued behind it) spends only ACCEPT_TURN_BUDGET_MS, so the loop gets back to accept()
// sooner; the first turn after an iteration without an accept has the full budget again.
import { performance } from 'node:perf_hooks';

/**
 * Time one turn of the event loop may spend starting queued work. The first piece of work of a turn
 * always runs, so a command longer than this still makes progress, one per turn.
 */
export const TURN_BUDGET_MS = 2;

/**
 * Time a turn may spend starting queued work when a connection was accepted in its loop iteration
 * (the listen queue may hold more). Still at least one piece of work per turn.
 */
export const ACCEPT_TURN_BUDGET_MS = 0.25;

/** What kind of work waits for a turn (see the top of this file). */
export type TurnKind = 'after-input' | 'continuing';

/** Who waits for a turn, in order of arrival, per kind. */
const afterInput: Array<() => void> = [];
const continuing: Array<() => void> = [];
/** When the current turn's first work was released; undefined between turns. */
let turnStart: number | undefined;
/** The current turn's budget (ms). */
let turnBudget = TURN_BUDGET_MS;
/** A connection was accepted since the last turn started (see noteAccepted). */
let acceptedSinceTurn = false;

/** Whether the current turn, and the one before it, released continuing work. */
let continuedNow = false;
let continuedBefore = true;

function closeTurn(): void {
  turnStart = undefined;
  continuedBefore = continuedNow;
  continuedNow = false;
}

/**
 * One slot of the check phase, scheduled per waiter. A slot releases whoever waits longest, not the
 * waiter that scheduled it: work released in this turn queues again behind the work that had to be
 * deferred, so no connection can take every turn's budget for itself.
 */
function slot(): void {
  const now = performance.now();
  let first = false;
  if (turnStart === undefined) {
    turnStart = now;
    first = true;
    turnBudget = acceptedSinceTurn ? ACCEPT_TURN_BUDGET_MS : TURN_BUDGET_MS;
    acceptedSinceTurn = false;
    // Queued in this turn's check phase, so it runs in the next one ahead of the slots deferred below.
    setImmediate(closeTurn);
  } else if (now - turnStart >= turnBudget) {
    setImmediate(slot);
    return;
  }
  // The released work's synchronous part runs (microtasks drain between immediates) before the next
  // slot looks at the clock, so the budget counts it.
  const takeContinuing = continuing.length > 0 && (afterInput.length === 0 || (first && !continuedBefore));
  const next = takeContinuing ? continuing.shift() : afterInput.shift();
  if (takeContinuing) continuedNow = true;
  next?.();
}

/**
 * Resolves when it is this connection's turn to run its next piece of work: `after-input` when the
 * connection had nothing to do until the network brought this work, `continuing` otherwise.
 */
export function nextTurn(kind: TurnKind = 'continuing'): Promise<void> {
  return new Promise((resolve) => {
    (kind === 'after-input' ? afterInput : continuing).push(resolve);
    setImmediate(slot);
  });
}

/**
 * The network edge accepted a connection: the listen queue may hold more, so the next turn is a short
 * one (ACCEPT_TURN_BUDGET_MS) and the loop returns to accept() sooner.
 */
export function noteAccepted(): void {
  acceptedSinceTurn = true;
}
