// Fair shares of the event loop for connections with work queued (pipelined commands, message
// slices). Work waits in one queue, first come first served, and one turn of the event loop starts
// queued work only until TURN_BUDGET_MS have passed; the rest waits for the next turn, still in
// order. Why a budget rather than simply one command per connection per turn: the poll phase between
// turns is where sockets are read and connections accepted, and libuv accepts one connection per
// loop iteration. With a turn as long as one command from every busy connection, 200 connections
// flooding pipelined commands made each turn last tens of milliseconds, so a user connecting behind
// a burst of 150 new connections waited seconds to be accepted.
import { performance } from 'node:perf_hooks';

/**
 * Time one turn of the event loop may spend starting queued work. The first piece of work of a turn
 * always runs, so a command longer than this still makes progress, one per turn.
 */
export const TURN_BUDGET_MS = 2;

/** Who waits for a turn, in order of arrival. */
const waiting: Array<() => void> = [];
/** When the current turn's first work was released; undefined between turns. */
let turnStart: number | undefined;

function closeTurn(): void {
  turnStart = undefined;
}

/**
 * One slot of the check phase, scheduled per waiter. A slot releases whoever waits longest, not the
 * waiter that scheduled it: work released in this turn queues again behind the work that had to be
 * deferred, so no connection can take every turn's budget for itself.
 */
function slot(): void {
  const now = performance.now();
  if (turnStart === undefined) {
    turnStart = now;
    // Queued in this turn's check phase, so it runs in the next one ahead of the slots deferred below.
    setImmediate(closeTurn);
  } else if (now - turnStart >= TURN_BUDGET_MS) {
    setImmediate(slot);
    return;
  }
  // The released work's synchronous part runs (microtasks drain between immediates) before the next
  // slot looks at the clock, so the budget counts it.
  waiting.shift()?.();
}

/** Resolves when it is this connection's turn to run its next piece of work. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    setImmediate(slot);
  });
}
