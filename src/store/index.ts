// Public entry of the store: the contract, the keyword helpers and the embedded implementation. The
// message model (parsing, decoding, addresses, dates, subjects) is src/mime: import it from there.
export * from './types.js';
export * from './keywords.js';
export { openSqliteStore } from './sqlite/open.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres/open.js';
export { PgEventBus, type PgEventBusOptions } from './postgres/event-relay.js';
export { storeDirectory } from './directory.js';
export * from './spool/index.js';
