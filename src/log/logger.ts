// One pino logger for the process. Secrets never reach a log line: the redact list covers every
// field name that could carry a password, a token or a SASL payload, wherever it is nested (up to
// four levels deep: pino's redaction has no recursive wildcard, and deeper log objects are a smell).
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/types.js';
import { censorFields } from './censor.js';

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

/** Fields deeper than this are not looked at (pino's redaction had no recursive wildcard either). */
const REDACT_DEPTH = 4;
const SECRET_FIELDS: ReadonlySet<string> = new Set(REDACTED_FIELDS);

function censored<T extends Record<string, unknown>>(object: T): T {
  return censorFields(object, SECRET_FIELDS, REDACT_DEPTH) as T;
}

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tessera' },
    formatters: { log: censored },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // Child bindings (a session's peer, user…) are serialised once, when the child is made, and pino
  // hands them to no formatter: censor them there. Children inherit this `child` from the root.
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, childOptions?: Parameters<Logger['child']>[1]) {
    return child.call(this, censored(bindings), childOptions);
  } as Logger['child'];
  return logger;
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
