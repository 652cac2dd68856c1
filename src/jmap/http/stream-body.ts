// Sends a stored blob as a response body a chunk at a time: the next chunk is read from the store
// only once the socket took the last one (pipeline's back-pressure), so a download of any size holds
// about one chunk. Headers (Content-Length = source.size) are already written: a failure midway can
// only cut the connection, which the client sees as a short body instead of a wrong one.
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from '../../store/api/byte-source.js';

/** Bytes the readable side buffers ahead of the socket besides the chunk being read. */
const READ_AHEAD = 64 * 1024;

/** Resolves once the body is sent; rejects (with the response destroyed) when it could not be. */
export async function streamBody(res: ServerResponse, source: ByteSource): Promise<void> {
  try {
    await pipeline(Readable.from(source.chunks(), { objectMode: false, highWaterMark: READ_AHEAD }), res);
  } finally {
    // pipeline destroys both ends on failure; an early client close ends the store read the same way.
    if (!res.writableFinished) res.destroy();
  }
}
