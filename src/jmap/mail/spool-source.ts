// Bytes spooled (SpoolDir.copyOf, SpoolDir.write) for the length of a store write that needs them as
// a message of their own: a stored message copied into another account (Email/copy), a message
// composed from blobs (Email/set create).
import type { ByteSource } from '../../store/api/byte-source.js';
import type { SpoolDir, SpooledMessage } from '../../store/index.js';

/**
 * Runs `use` with `source` (a stored source, or chunks as they are produced) spooled; the spool file
 * is removed afterwards unless the store took it.
 */
export async function withSpooled<T>(spool: SpoolDir, source: ByteSource | AsyncIterable<Buffer>, use: (spooled: SpooledMessage) => Promise<T>): Promise<T> {
  const spooled = Symbol.asyncIterator in source ? await spool.write(source) : await spool.copyOf(source);
  try {
    return await use(spooled);
  } finally {
    await spooled.discard();
  }
}
