// A configuration value Tessera cannot honour. Thrown by the loader before any port is opened, so the
// operator sees exactly one line naming the file, the key, the offending value and how to fix it.

export interface ConfigErrorDetails {
  /** Path of the file as the operator would type it (relative to the working directory when possible). */
  file: string;
  /** Dotted key inside the file, e.g. `imapserver[1].bind` or `authentication.strategy.rfc8621`. */
  key: string;
  /** The offending value as written; empty when the key is missing. */
  value: string;
  /** What is allowed, or how to fix it. */
  allowed: string;
  /** What is wrong; defaults to "invalid value". */
  problem?: string;
}

/** Keeps a value on one line and of bounded length so the message stays a single readable line. */
function quote(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
  return JSON.stringify(short);
}

export class ConfigError extends Error {
  readonly file: string;
  readonly key: string;
  readonly value: string;
  readonly allowed: string;

  constructor(details: ConfigErrorDetails) {
    const problem = details.problem ?? 'invalid value';
    const shown = details.value === '' ? '' : ` = ${quote(details.value)}`;
    super(`${details.file}: ${details.key}${shown}: ${problem}; ${details.allowed.replace(/\s+/g, ' ')}`);
    this.name = 'ConfigError';
    this.file = details.file;
    this.key = details.key;
    this.value = details.value;
    this.allowed = details.allowed;
  }
}
