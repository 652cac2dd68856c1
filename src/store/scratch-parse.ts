// Parsing a stored message from a blob store that keeps no files (PostgreSQL): its chunks are
// copied into a scratch file, which the parser reads by position through a small window
// (./message-file.ts), as it reads blob files of the SQLite engine. Reading the blob back into one
// Buffer held the whole message in memory for every recipient after the first of a delivery, and
// for every JMAP import or copy of a stored blob. The scratch file is removed afterwards; it is
// derived data, so it is not fsynced.
import { open } from 'node:fs/promises';
import path from 'node:path';
import { randomId } from '../core/random-pool.js';
import { parseMessage, type MessageAnalysis } from '../mime/parse.js';
import { BytesGoneError, type ByteSource } from './api/byte-source.js';
import { MessageFile, WINDOW_BYTES } from './message-file.js';
import { removeIfPresent } from './spool/spooled.js';
import { SPOOL_SUFFIX } from './spool/incoming.js';

/**
 * Analyses a message read from `source` (a blob, or a MIME part of one, that is no stored email yet:
 * JMAP Email/parse): one no larger than the parser's window is read into memory, which costs no
 * more than the window would; a larger one goes through a scratch file in `dir`. Null when the
 * source's chunks are not `size` bytes (the blob went away).
 */
export async function analyseSource(source: ByteSource, dir: string): Promise<MessageAnalysis | null> {
  try {
    return source.size > WINDOW_BYTES ? await parseFromChunks(source.chunks(), source.size, dir) : await analyseSmall(source);
  } catch (err) {
    if (err instanceof BytesGoneError) return null;
    throw err;
  }
}

async function analyseSmall(source: ByteSource): Promise<MessageAnalysis | null> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source.chunks()) {
    length += chunk.length;
    // More than the size said: the blob changed under the reader; never parse more than the window.
    if (length > source.size) return null;
    parts.push(chunk);
  }
  return length === source.size ? parseMessage(Buffer.concat(parts, length)) : null;
}

/**
 * Analyses the `size` bytes `chunks` yields, written to a scratch file in `dir` first; null when the
 * chunks are not `size` bytes (the blob is gone).
 */
export async function parseFromChunks(chunks: AsyncIterable<Buffer>, size: number, dir: string): Promise<MessageAnalysis | null> {
  // Named as a spool file: one a crash leaves in a spool directory goes with that directory's sweep at start.
  const file = path.join(dir, `parse-${randomId(8, 'hex')}${SPOOL_SUFFIX}`);
  try {
    const handle = await open(file, 'wx', 0o600);
    let written = 0;
    try {
      for await (const chunk of chunks) {
        await handle.write(chunk, 0, chunk.length, written);
        written += chunk.length;
      }
    } finally {
      await handle.close();
    }
    if (written !== size) return null;
    return MessageFile.with(file, size, parseMessage);
  } finally {
    await removeIfPresent(file);
  }
}
