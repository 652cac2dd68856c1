// Reads a request body with a hard size limit. Past the limit the rest is drained (up to a cap) so
// the client, still sending, reads our problem response instead of a connection reset.
import type { IncomingMessage } from 'node:http';
import type { IncomingMessage as SpoolWriter, SpooledMessage } from '../../store/index.js';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

const DRAIN_CAP = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit + DRAIN_CAP) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > limit + DRAIN_CAP) req.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (over ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks, size))));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the connection before the body ended'));
    });
  });
}

/**
 * Writes a request body to a spool file as it arrives (uploads): reading pauses while the writer has
 * enough queued, so the request holds no more than the writer's buffer and one socket chunk. The
 * writer's own limit is the body limit; past it the rest is drained, as readBody does.
 */
export function spoolBody(req: IncomingMessage, message: SpoolWriter): Promise<SpooledMessage> {
  return new Promise((resolve, reject) => {
    const limit = message.maxSize;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit + DRAIN_CAP) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      void message.append(chunk);
      if (message.overflow) {
        if (message.byteCount > limit + DRAIN_CAP) req.destroy();
        return;
      }
      if (message.needsDrain && !req.isPaused()) {
        req.pause();
        void message.drained().then(() => req.resume());
      }
    });
    req.on('end', () => {
      if (settled) return;
      if (message.overflow) {
        fail(new BodyTooLargeError(limit));
        return;
      }
      message.finish().then((spooled) => {
        settled = true;
        resolve(spooled);
      }, fail);
    });
    req.on('error', fail);
    req.on('close', () => {
      if (!req.complete) fail(new Error('client closed the connection before the body ended'));
    });
  });
}

/**
 * Whether a Content-Type header names application/json. Parameters (charset) and case do not
 * matter (RFC 9110 §8.3.1); a missing header is not JSON.
 */
export function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}
