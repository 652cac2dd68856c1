// Replies of pipelined commands, gathered before they go to the socket (connection.ts, REPLY_BATCH,
// says why they are batched). They are copied into one buffer per connection, reused from batch to
// batch, instead of being held as the socket's queue of small Buffers while it is corked: held over
// the many turns of the event loop a batch takes to fill (one command per turn), those Buffers
// outlived the young-generation collections and piled up as old-generation garbage that only a full
// collection frees — with 200 clients pipelining CAPABILITY without reading, tens of MB of dead
// ArrayBuffers, most of the server's RSS growth (issue #15). Here a flood allocates no Buffer per
// reply, and a batch buffer is taken back as soon as the socket is done with its bytes.

/**
 * Where gathered replies go. An object rather than a callback: the connection is the sink, so a
 * connection holds no closure for it (issue #18, memory per IDLE connection).
 */
export interface BatchSink {
  /** Sends `bytes`; calls `written` once the socket no longer needs them (never if nothing was sent). */
  sendBatch(bytes: Buffer, written: () => void): void;
}

export class ReplyBatch {
  private buffer: Buffer | undefined;
  private length = 0;
  /** The last batch's buffer, back from the socket: the next batch fills it again. */
  private spare: Buffer | undefined;
  private isGathering = false;

  /** `size`: bytes gathered before they are sent; also the largest reply piece that is copied. */
  constructor(
    private readonly size: number,
    private readonly sink: BatchSink,
  ) {}

  /** Between start() and flush(). */
  get gathering(): boolean {
    return this.isGathering;
  }

  /** From now on replies are gathered, until flush(). */
  start(): void {
    this.isGathering = true;
  }

  /**
   * Gathers `data` when batching; false when the caller must send it itself (not batching, or a
   * piece of at least `size` bytes, which is not copied: what was gathered before it has been sent).
   */
  add(data: string | Buffer): boolean {
    if (!this.isGathering) return false;
    const n = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    if (n > this.size - this.length) this.sendGathered();
    if (n >= this.size) return false;
    if (n === 0) return true;
    const buffer = this.takeBuffer();
    if (typeof data === 'string') buffer.write(data, this.length, 'utf8');
    else data.copy(buffer, this.length);
    this.length += n;
    if (this.length >= this.size) this.sendGathered();
    return true;
  }

  /** Sends what was gathered and stops gathering; an idle connection keeps no buffer. */
  flush(): void {
    this.isGathering = false;
    this.sendGathered();
    this.spare = undefined;
  }

  private takeBuffer(): Buffer {
    if (!this.buffer) {
      // Not from Buffer's shared pool: a batch buffer lives for many batches.
      this.buffer = this.spare ?? Buffer.allocUnsafeSlow(this.size);
      this.spare = undefined;
    }
    return this.buffer;
  }

  private sendGathered(): void {
    const buffer = this.buffer;
    if (!buffer || this.length === 0) return;
    const bytes = buffer.subarray(0, this.length);
    this.buffer = undefined;
    this.length = 0;
    // Reused only while replies are still being gathered: a connection gone idle lets it go.
    this.sink.sendBatch(bytes, () => {
      if (this.isGathering && !this.spare) this.spare = buffer;
    });
  }
}
