// What every MailStore contract suite shares: a fresh store per test from the backend's factory, the
// account the suites write to, and small helpers over the event bus.
import assert from 'node:assert/strict';
import type { MailStore } from '../../../src/store/types.js';
import type { AccountEvent, EventBus } from '../../../src/events/types.js';
import { MemoryEventBus } from '../../../src/events/memory-bus.js';

export interface StoreFixture {
  store: MailStore;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export interface StoreFactoryOptions {
  quota?: { storage?: number; messages?: number };
}

export type StoreFactory = (events: EventBus, options?: StoreFactoryOptions) => Promise<StoreFixture>;

export const USER = 'alice@example.org';

export interface StoreHarness {
  /** Runs `fn` on a fresh, empty store and its bus; disposes of both afterwards. */
  withStore(fn: (store: MailStore, bus: MemoryEventBus) => Promise<void>, options?: StoreFactoryOptions): Promise<void>;
  /** Creates USER's account and returns the id of its INBOX. */
  inbox(store: MailStore): Promise<string>;
  /** Resolves with the next `count` events published for `account`. */
  nextEvents(bus: MemoryEventBus, account: string, count: number): Promise<AccountEvent[]>;
}

export function storeHarness(factory: StoreFactory): StoreHarness {
  return {
    async withStore(fn, options) {
      const bus = new MemoryEventBus();
      const fx = await factory(bus, options);
      try {
        await fn(fx.store, bus);
      } finally {
        await fx.dispose();
        await bus.close();
      }
    },

    async inbox(store) {
      await store.ensureAccount(USER);
      const mb = await store.findMailboxByPath(USER, 'INBOX');
      assert.ok(mb);
      return mb.id;
    },

    nextEvents(bus, account, count) {
      return new Promise((resolve) => {
        const got: AccountEvent[] = [];
        const off = bus.onAccount(account, (e) => {
          got.push(e);
          if (got.length >= count) {
            off();
            resolve(got);
          }
        });
      });
    },
  };
}
