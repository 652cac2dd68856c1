// Store latency for /metrics: every asynchronous MailStore call timed by method name, whatever the
// engine behind it. A Proxy rather than a timer in each method, so a method added later is measured
// too; method names are a fixed set, so the label cannot grow with input.
import { metrics } from '../core/metrics.js';

/** Store calls are mostly sub-millisecond (SQLite in WAL) up to seconds for big appends and searches. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;

export const storeOperationSeconds = metrics.histogram(
  'tessera_store_operation_duration_seconds',
  'Mail store calls by operation (MailStore method) and outcome (ok, error), in seconds.',
  ['operation', 'outcome'],
  STORE_BUCKETS,
);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The same store, its asynchronous methods timed into storeOperationSeconds. */
export function instrumentStore<T extends object>(store: T): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const original = value as (...args: unknown[]) => unknown;
        fn = function timed(...args: unknown[]): unknown {
          const start = process.hrtime.bigint();
          // Called on the real object: private state (and `this` checks) stay as the class expects.
          const result = original.apply(target, args);
          if (!isThenable(result)) return result;
          const done = (outcome: 'ok' | 'error'): void =>
            storeOperationSeconds.observe({ operation: property, outcome }, Number(process.hrtime.bigint() - start) / 1e9);
          return Promise.resolve(result).then(
            (v) => {
              done('ok');
              return v;
            },
            (err: unknown) => {
              done('error');
              throw err;
            },
          );
        };
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
