// One pino logger for the process. Secrets never reach a log line: the redact list covers every
// field name that could carry a password, a token or a SASL payload, wherever it is nested (up to
// four levels deep: pino's redaction has no recursive wildcard, and deeper log objects are a smell).
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/types.js';

export type Logger = PinoLogger;

export const REDACTED_FIELDS = [
  'password',
  'pass',
  'passwd',
  'newPassword',
  'oldPassword',
  'passphrase',
  'secret',
  'secrets',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refresh_token',
  'refreshToken',
  'id_token',
  'idToken',
  'logout_token',
  'bearer',
  'authorization',
  'Authorization',
  'proxy-authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-user-secret',
  'X-User-Secret',
  'credentials',
  'saslPayload',
  'initialResponse',
  'payload',
  'response',
  'privateKey',
  'pfx',
];

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** `password` or `["x-user-secret"]`: fast-redact wants bracket notation for non-identifiers. */
function accessor(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`;
}

const REDACT_DEPTH = 4;
const paths = REDACTED_FIELDS.flatMap((field) => {
  const out: string[] = [];
  for (let depth = 0; depth < REDACT_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, () => '*').join('.');
    out.push(`${prefix}${accessor(field)}`.replace(/^\./, ''));
  }
  return out;
});

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tessera' },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Where the server's JSON log goes: stderr, synchronously, so stdout stays for what a person reads
 * (the banner, the demo password) and no line is lost when the process exits.
 */
export function stderrLogDestination(): DestinationStream {
  return pino.destination({ dest: 2, sync: true });
}

/** A logger that drops everything; for tests and tools that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
