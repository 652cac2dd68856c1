// What a fuzz target asserts. A broken invariant throws InvariantViolation; an exception the code
// under test was not allowed to throw (TypeError, RangeError, …) is let through unchanged, with its
// own stack, so the finding points at the line that failed.
import { isDeepStrictEqual, inspect } from 'node:util';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'string' ? message : message());
}

export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new InvariantViolation(`${what}:\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`);
  }
}

export function show(value: unknown): string {
  return inspect(value, { depth: 6, maxArrayLength: 20, maxStringLength: 200, breakLength: Infinity });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs `fn`; an error of one of the `allowed` classes is the documented way to refuse the input and
 * comes back as `{ ok: false }`. Anything else propagates: it is the finding.
 */
export function attempt<T>(fn: () => T, ...allowed: ErrorClass[]): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (allowed.some((cls) => error instanceof cls)) return { ok: false, error: error as Error };
    throw error;
  }
}

export async function attemptAsync<T>(fn: () => Promise<T>, ...allowed: ErrorClass[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (allowed.some((cls) => error instanceof cls)) return { ok: false, error: error as Error };
    throw error;
  }
}
