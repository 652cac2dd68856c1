// A listener's spool directory: where its sessions stage messages while they arrive (SpooledMessage).
// Nothing in it was ever acknowledged, so files left by a crash are removed at start: their clients
// got no 250 and send again.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { SPOOL_SUFFIX, SpooledMessage } from './spooled-message.js';

export class MessageSpool {
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
  message(maxSize: number): SpooledMessage {
    return new SpooledMessage(this.dir, maxSize);
  }
}
