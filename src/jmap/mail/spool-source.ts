// A stored message copied into a spool file (SpoolDir.copyOf) for the length of a store write that
// needs the bytes as a message of their own (Email/copy into another account).
import type { ByteSource } from '../../store/api/byte-source.js';
import type { SpoolDir, SpooledMessage } from '../../store/index.js';

/** Runs `use` with `source` spooled; the spool file is removed afterwards unless the store took it. */
export async function withSpooled<T>(spool: SpoolDir, source: ByteSource, use: (spooled: SpooledMessage) => Promise<T>): Promise<T> {
  const spooled = await spool.copyOf(source);
  try {
    return await use(spooled);
  } finally {
    await spooled.discard();
  }
}
