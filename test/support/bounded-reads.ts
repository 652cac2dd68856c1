// Store wrappers that check how a path reads stored messages, around a real store (views it hands
// out, such as actingAs, are wrapped the same way):
// - boundedReads: whole-buffer reads (readMessage, readBlob) throw unless they ask for
//   a small range, so a path serving or relaying a large message must stream it (openMessage,
//   openBlob, openOutbound) and read whole only bounded windows;
// - vanishingReads: opened sources fail with BytesGoneError after some chunks, as when a blob is
//   collected mid-read, so a test can show what a client or next hop gets then.
import type { MailStore } from '../../src/store/types.js';
import { BytesGoneError, type ByteSource } from '../../src/store/api/byte-source.js';

/** The largest range a bounded read may ask for (the stores' chunk size). */
export const BOUNDED_READ = 256 * 1024;

export class UnboundedReadError extends Error {
  override readonly name = 'UnboundedReadError';
}

interface Range {
  start?: number;
  end?: number;
}

type Method = (...args: unknown[]) => unknown;

/** `store` with some methods replaced (`replace` returns undefined to keep one), views included. */
function wrapStore<T extends object>(store: T, replace: (prop: string | symbol, fn: Method, target: T) => Method | undefined): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as Method;
      const replaced = replace(prop, fn, target);
      if (replaced !== undefined) return replaced;
      return (...args: unknown[]) => {
        const result = fn.apply(target, args);
        return isStore(result) ? wrapStore(result as unknown as T, replace) : result;
      };
    },
  });
}

function isStore(value: unknown): value is MailStore {
  return typeof value === 'object' && value !== null && !(value instanceof Promise) && typeof (value as { readMessage?: unknown }).readMessage === 'function';
}

function check(method: string, range: Range | undefined): void {
  if (range === undefined || range.end === undefined || range.end - (range.start ?? 0) > BOUNDED_READ) {
    throw new UnboundedReadError(`${method} without a range of at most ${BOUNDED_READ} bytes`);
  }
}

/** `store` with unbounded whole reads refused. */
export function boundedReads<T extends object>(store: T): T {
  return wrapStore(store, (prop, fn, target) => {
    if (prop === 'readMessage' || prop === 'readBlob') {
      return (...args: unknown[]) => {
        check(prop, args[2] as Range | undefined);
        return fn.apply(target, args);
      };
    }
    return undefined;
  });
}

/** `store` whose opened sources yield `chunks` chunks, then fail with BytesGoneError. */
export function vanishingReads<T extends object>(store: T, chunks: number): T {
  const cut = (source: ByteSource): ByteSource => ({
    size: source.size,
    async *chunks() {
      let n = 0;
      for await (const chunk of source.chunks()) {
        if (++n > chunks) throw new BytesGoneError('vanished in a test');
        yield chunk;
      }
    },
  });
  return wrapStore(store, (prop, fn, target) => {
    if (prop !== 'openMessage' && prop !== 'openBlob' && prop !== 'openOutbound') return undefined;
    return async (...args: unknown[]) => {
      const source = (await fn.apply(target, args)) as ByteSource | null;
      return source === null ? null : cut(source);
    };
  });
}
