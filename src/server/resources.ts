// Resources shared by several protocol servers in one run (the mail store, the event bus, the token
// validator): created once on first use, closed at shutdown after every protocol server stopped,
// newest first (so a store outlives the bus that feeds it).
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';

/** A typed key: the resource's name, how to create it from the context, and how to close it. */
export interface SharedResource<T> {
  readonly name: string;
  readonly create: (ctx: ServerContext) => Promise<T> | T;
  readonly close?: (value: T) => Promise<void> | void;
}

export function sharedResource<T>(
  name: string,
  create: (ctx: ServerContext) => Promise<T> | T,
  close?: (value: T) => Promise<void> | void,
): SharedResource<T> {
  return close ? { name, create, close } : { name, create };
}

export class ResourceRegistry {
  private readonly values = new Map<SharedResource<unknown>, Promise<unknown>>();
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private closed = false;

  constructor(private readonly logger: Logger) {}

  use<T>(resource: SharedResource<T>, ctx: ServerContext): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${resource.name} requested after shutdown`));
    const key = resource as SharedResource<unknown>;
    let value = this.values.get(key) as Promise<T> | undefined;
    if (!value) {
      value = Promise.resolve()
        .then(() => resource.create(ctx))
        .then((created) => {
          if (resource.close) this.closers.push({ name: resource.name, close: () => resource.close!(created) });
          return created;
        });
      this.values.set(key, value);
    }
    return value;
  }

  onShutdown(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /** Closes everything in reverse order of creation; a failure is logged and does not stop the rest. */
  async closeAll(): Promise<void> {
    this.closed = true;
    // Wait for creations still in flight so that what they open gets closed too.
    await Promise.allSettled(this.values.values());
    for (const { name, close } of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        this.logger.error({ err, resource: name }, 'error while closing a resource at shutdown');
      }
    }
  }
}
