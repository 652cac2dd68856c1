// A stored message copied into a spool file a chunk at a time (each append awaited: the file takes
// the bytes as fast as they come, never the whole message in memory), for a store write that needs
// the bytes as a message of their own (Email/copy into another account).
import type { ByteSource } from '../../store/api/byte-source.js';
import type { SpoolDir, SpooledMessage } from '../../store/index.js';

/** Runs `use` with `source` spooled; the spool file is removed afterwards unless the store took it. */
export async function withSpooled<T>(spool: SpoolDir, source: ByteSource, use: (spooled: SpooledMessage) => Promise<T>): Promise<T> {
  const message = spool.message(source.size);
  try {
    for await (const chunk of source.chunks()) await message.append(chunk);
    return await use(await message.finish());
  } finally {
    await message.discard();
  }
}
