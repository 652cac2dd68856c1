// Flow control for line protocols, one mechanism for IMAP and SMTP, per socket (a STARTTLS upgrade
// starts afresh on the new socket). Two rules keep a connection's memory bounded whatever the client
// does:
//  - output: past a high-water mark of unflushed replies, reading from the client stops until
//    'drain', and the protocol stops running commands it has already read (readyForNextCommand) —
//    pausing the socket alone is not enough, since every command already buffered would still be
//    answered;
//  - input: a protocol that holds unprocessed input past its own mark pauses reading until it has
//    consumed it.
// Reading resumes only when no reason to hold it remains, so one rule never undoes the other.
// HTTP (JMAP) gets the same rule from node:http itself, which stops parsing pipelined requests while
// earlier responses wait unflushed; its server-initiated push streams are bounded below.
import type { Socket } from 'node:net';
import { nextTurn, type TurnKind } from './turns.js';

/**
 * Unflushed output above which reading from the client stops and no further command is run. Larger
 * than a socket's own writableHighWaterMark (16 KiB), so 'drain' always follows crossing it.
 */
export const OUTPUT_HIGH_WATER = 32 * 1024;

/** Why reading from a socket is paused. */
export type InputHold = 'output' | 'input';

/** The reasons as bits: a socket's holds are one number, not a Set per socket (issue #18). */
const HOLD_BIT: Readonly<Record<InputHold, number>> = { output: 1, input: 2 };

const holds = new WeakMap<Socket, number>();

/** Stops reading from `socket` for `reason` (idempotent). */
export function holdInput(socket: Socket, reason: InputHold): void {
  holds.set(socket, (holds.get(socket) ?? 0) | HOLD_BIT[reason]);
  socket.pause();
}

/** Drops `reason`; reading resumes once no reason is left. */
export function releaseInput(socket: Socket, reason: InputHold): void {
  const before = holds.get(socket) ?? 0;
  if ((before & HOLD_BIT[reason]) === 0) return;
  const after = before & ~HOLD_BIT[reason];
  if (after > 0) {
    holds.set(socket, after);
    return;
  }
  holds.delete(socket);
  if (!socket.destroyed) socket.resume();
}

/**
 * Writes `data`; stops reading from `socket` while more than `highWater` bytes wait to be sent.
 * `written` runs once the socket is done with `data` (sent, or failed), so its buffer may be reused;
 * it never runs when nothing was written (the socket had closed).
 */
export function writeWithBackpressure(socket: Socket, data: string | Uint8Array, highWater = OUTPUT_HIGH_WATER, written?: () => void): void {
  if (socket.destroyed || socket.writableEnded) return;
  if (written) socket.write(data, () => written());
  else socket.write(data);
  if (socket.writableLength > highWater && !isHeldForOutput(socket)) {
    holdInput(socket, 'output');
    socket.once('drain', () => releaseInput(socket, 'output'));
  }
}

/** True while reading is paused for unflushed output. */
export function isHeldForOutput(socket: Socket): boolean {
  return ((holds.get(socket) ?? 0) & HOLD_BIT.output) !== 0;
}

/**
 * Resolves once `socket` has at most `highWater` bytes of unflushed output (at once when it has),
 * or when it closes. A protocol awaits this before running its next command, so a client that
 * pipelines without reading has at most one command's replies queued beyond the mark.
 */
export function whenWritable(socket: Socket, highWater = OUTPUT_HIGH_WATER): Promise<void> {
  if (socket.destroyed || socket.writableLength <= highWater) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/**
 * What a line protocol awaits before running each command it has read (flush-and-wait): unflushed
 * output back under `highWater` (at once when it is), then its turn (./turns.ts), so that a
 * connection with thousands of commands pipelined runs at most one of them per turn of the event
 * loop, and a turn stays short however many connections do so: every other connection (a user
 * logging in) gets its turn, and new connections are accepted, every few milliseconds. `kind` says
 * whether the connection waited for the network before this command (./turns.ts: such work goes
 * first).
 */
export async function readyForNextCommand(socket: Socket, kind: TurnKind = 'continuing', highWater = OUTPUT_HIGH_WATER): Promise<void> {
  await whenWritable(socket, highWater);
  await nextTurn(kind);
}

/**
 * Unsent bytes a server-initiated stream (JMAP EventSource, WebSocket pushes) may hold for a client
 * that has stopped reading. Pushes cannot be withheld like replies (the client asked for nothing),
 * so past this the stream is closed; the client reconnects and resynchronises from its last state.
 */
export const PUSH_BACKLOG_LIMIT = 1024 * 1024;

/** True when a push stream with `unsent` bytes queued must be closed rather than written to. */
export function pushBacklogExceeded(unsent: number, limit = PUSH_BACKLOG_LIMIT): boolean {
  return unsent > limit;
}
