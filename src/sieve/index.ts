// Sieve (RFC 5228) mail filtering: a pure interpreter (no I/O). compileSieve parses and validates a
// script; the executor (./executor.ts) runs a compiled script against a message and returns actions.
import { SieveSyntaxError, type SieveError } from './ast.js';
import type { CompiledSieve } from './compiled.js';
import { parseScript } from './parser.js';
import { validate } from './validator.js';

export type { SieveError } from './ast.js';
export type { CompiledSieve } from './compiled.js';
export { SIEVE_EXTENSIONS } from './extensions.js';

/** Scripts larger than this are refused (ManageSieve's MAXSCRIPTSIZE could say less, never more). */
export const DEFAULT_MAX_SCRIPT_SIZE = 256 * 1024;

export function compileSieve(
  text: string,
  options?: { maxSize?: number },
): { ok: true; script: CompiledSieve } | { ok: false; errors: SieveError[] } {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_SCRIPT_SIZE;
  if (Buffer.byteLength(text, 'utf8') > maxSize) {
    return { ok: false, errors: [{ line: 1, column: 1, message: `script larger than ${maxSize} bytes` }] };
  }
  let commands;
  try {
    commands = parseScript(text);
  } catch (err) {
    if (err instanceof SieveSyntaxError) return { ok: false, errors: [{ line: err.line, column: err.column, message: err.message }] };
    throw err;
  }
  return validate(commands, text.length);
}

export { executeSieve, splitFlags } from './executor.js';
export { PROTECTED_HEADERS } from './protected.js';
export type { SieveAction, SieveEnvironment, SieveMessage, SieveResult, VacationAction } from './context.js';
export { SieveRuntimeError, SieveLimitError } from './errors.js';
export { DEFAULT_LIMITS, type SieveLimits } from './limits.js';
