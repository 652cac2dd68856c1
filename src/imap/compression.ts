// COMPRESS=DEFLATE (RFC 4978) between the IMAP connection and its socket: raw deflate both ways.
// Flow control passes through it: output is deflated only as fast as the socket takes it (the
// deflater pauses while the socket needs 'drain', so its input backs up and the connection's drain()
// waits on it), and input is inflated only as fast as the framer consumes it (the inflater pauses
// with the socket when the framer holds too much), so a small compressed burst that inflates to
// gigabytes reaches the framer in bounded pieces and meets the same line and literal limits as
// uncompressed input.
import type { Socket } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { writeWithBackpressure } from '../net/index.js';

export interface CompressionHandlers {
  /** Inflated input for the framer. */
  onInput(chunk: Buffer): void;
  /** The peer sent data that does not inflate, or zlib failed: the connection must end. */
  onError(err: Error): void;
}

export class DeflateLayer {
  private readonly deflate: DeflateRaw;
  private readonly inflate: InflateRaw;
  private inputPaused = false;
  /** Output written since the last flush (an idle connection sends no empty flush blocks). */
  private unflushed = false;

  constructor(
    private readonly socket: Socket,
    handlers: CompressionHandlers,
  ) {
    this.deflate = createDeflateRaw();
    this.inflate = createInflateRaw();
    this.deflate.on('data', (chunk: Buffer) => {
      // The deflater batches replies itself (it emits when its output chunk fills or on flush()).
      writeWithBackpressure(socket, chunk);
      if (socket.writableNeedDrain) {
        this.deflate.pause();
        socket.once('drain', () => this.deflate.resume());
      }
    });
    this.inflate.on('data', (chunk: Buffer) => handlers.onInput(chunk));
    this.deflate.on('error', handlers.onError);
    this.inflate.on('error', handlers.onError);
  }

  /** Compressed bytes from the socket (or pipelined before COMPRESS took effect). */
  receive(chunk: Buffer): void {
    this.inflate.write(chunk);
  }

  /** Stops inflating until resumeInput() (the framer holds enough). */
  pauseInput(): void {
    if (this.inputPaused) return;
    this.inputPaused = true;
    this.inflate.pause();
  }

  resumeInput(): void {
    if (!this.inputPaused) return;
    this.inputPaused = false;
    this.inflate.resume();
  }

  send(data: Buffer): void {
    this.unflushed = true;
    this.deflate.write(data);
  }

  /** Pushes what was sent so far to the peer (a sync flush: the peer can inflate all of it). */
  flush(done?: () => void): void {
    if (!this.unflushed) {
      if (done) queueMicrotask(done);
      return;
    }
    this.unflushed = false;
    this.deflate.flush(constants.Z_SYNC_FLUSH, done);
  }

  /** Whether output waits in the deflater (it is behind, or paused behind a full socket). */
  get needsDrain(): boolean {
    return this.deflate.writableNeedDrain;
  }

  /** Resolves when the deflater has taken what was written, or when the socket closes. */
  drained(): Promise<void> {
    if (!this.deflate.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.deflate.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.deflate.on('drain', done);
      this.socket.on('close', done);
    });
  }

  destroy(): void {
    this.deflate.destroy();
    this.inflate.destroy();
  }
}
