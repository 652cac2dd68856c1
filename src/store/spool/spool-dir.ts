// A spool directory: where one listener's connections stage messages while they arrive
// (IncomingMessage). Nothing in it was ever acknowledged, so files left by a crash are removed at
// start: their clients got no OK and send again. Each listener has its own directory
// (<data>/spool/<protocol>/<listener>), so one's sweep never touches another's messages.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { IncomingMessage, SPOOL_SUFFIX } from './incoming.js';
import type { SpooledMessage } from './spooled.js';
import type { ByteSource } from '../api/byte-source.js';

export class SpoolDir {
  constructor(readonly dir: string) {}

  /** Creates the directory (0700) and removes what an earlier run left behind. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await this.files()) await rm(path.join(this.dir, name), { force: true });
  }

  /** Names of the spool files present now. */
  async files(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith(SPOOL_SUFFIX));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** A new message of at most `maxSize` bytes (0 = unlimited); its file is created on the first write. */
  message(maxSize: number): IncomingMessage {
    return new IncomingMessage(this.dir, maxSize);
  }

  /**
   * Stored bytes copied into a new spool file a chunk at a time (each append awaited, so never the
   * whole message in memory), for a store write that needs them as a message of their own; the file
   * is removed when the copy fails (a BytesGoneError from the source is passed on).
   */
  copyOf(source: ByteSource): Promise<SpooledMessage> {
    return this.write(source.chunks(), source.size);
  }

  /**
   * Bytes produced a chunk at a time (a message being composed) written to a new spool file the
   * same way, at most `maxSize` of them (0 = unlimited; past it finish() throws MessageTooLargeError);
   * the file is removed when writing fails.
   */
  async write(chunks: AsyncIterable<Buffer>, maxSize = 0): Promise<SpooledMessage> {
    const out = this.message(maxSize);
    try {
      for await (const chunk of chunks) await out.append(chunk);
      return await out.finish();
    } catch (err) {
      await out.discard();
      throw err;
    }
  }
}
