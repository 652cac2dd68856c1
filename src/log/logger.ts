// One pino logger for the process. Secrets never reach a log line: the redact list covers every
// field name that could carry a password, a token or a SASL payload, wherever it is nested.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/types.js';

export type Logger = PinoLogger;

export const REDACTED_FIELDS = [
  'password',
  'pass',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refresh_token',
  'id_token',
  'logout_token',
  'authorization',
  'Authorization',
  'credentials',
  'saslPayload',
  'payload',
  'response',
];

const paths = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tessera' },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything; for tests and tools that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
