// A pino logger whose lines tests can read.
import { createLogger, type Logger } from '../../src/log/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  events(): Record<string, unknown>[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  return {
    logger,
    lines,
    events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'auth'),
  };
}
