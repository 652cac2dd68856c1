export * from './types.js';
export { MemoryEventBus } from './memory-bus.js';
export { RelayedEventBus } from './relayed-bus.js';
