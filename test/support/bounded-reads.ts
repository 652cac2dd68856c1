// A store whose whole-buffer reads (readMessage, readBlob, readOutbound) throw unless they ask for a
// small range: wrapped around a real store, it shows that a path serving or relaying a large message
// streams it (openMessage/openBlob/openOutbound) and reads whole only bounded windows.
import type { MailStore } from '../../src/store/types.js';

/** The largest range a bounded read may ask for (the stores' chunk size). */
export const BOUNDED_READ = 256 * 1024;

export class UnboundedReadError extends Error {
  override readonly name = 'UnboundedReadError';
}

interface Range {
  start?: number;
  end?: number;
}

function check(method: string, range: Range | undefined): void {
  if (range === undefined || range.end === undefined || range.end - (range.start ?? 0) > BOUNDED_READ) {
    throw new UnboundedReadError(`${method} without a range of at most ${BOUNDED_READ} bytes`);
  }
}

/** `store` with unbounded whole reads refused, views it hands out (actingAs) included. */
export function boundedReads<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'readMessage' || prop === 'readBlob') {
        return (...args: unknown[]) => {
          check(prop, args[2] as Range | undefined);
          return fn.apply(target, args);
        };
      }
      if (prop === 'readOutbound') {
        return () => {
          throw new UnboundedReadError('readOutbound reads a queued message whole');
        };
      }
      return (...args: unknown[]) => {
        const result = fn.apply(target, args);
        // A view of the store (actingAs) is guarded the same way.
        return isStore(result) ? boundedReads(result) : result;
      };
    },
  });
}

function isStore(value: unknown): value is MailStore {
  return typeof value === 'object' && value !== null && !(value instanceof Promise) && typeof (value as { readMessage?: unknown }).readMessage === 'function';
}
