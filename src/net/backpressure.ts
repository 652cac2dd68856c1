// Output back-pressure for line protocols: a client that pipelines commands without reading our
// replies gets its input paused until the replies it has not read are flushed ('drain'). One
// mechanism for IMAP and SMTP, per socket (a STARTTLS upgrade starts afresh on the new socket).
import type { Socket } from 'node:net';

/** Unflushed output above which reading from the client stops. */
export const OUTPUT_HIGH_WATER = 256 * 1024;

const held = new WeakSet<Socket>();

/** Writes `data`; pauses reading from `socket` while more than `highWater` bytes wait to be sent. */
export function writeWithBackpressure(socket: Socket, data: string | Uint8Array, highWater = OUTPUT_HIGH_WATER): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.write(data);
  if (socket.writableLength > highWater && !held.has(socket)) {
    held.add(socket);
    socket.pause();
    socket.once('drain', () => {
      held.delete(socket);
      socket.resume();
    });
  }
}

/** True while reading is paused for unflushed output: input-side flow control must not resume it. */
export function isHeldForOutput(socket: Socket): boolean {
  return held.has(socket);
}
