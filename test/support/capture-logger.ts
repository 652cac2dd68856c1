// A real logger (pino, with the server's formatting and censoring) whose lines a test reads back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { LogLevel } from '../../src/config/types.js';

export function captureLogger(level: LogLevel = 'warn'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
