export * from './types.js';
export { MemoryEventBus } from './memory-bus.js';
