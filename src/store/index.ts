// Public entry of the store: the contract, the keyword helpers and the embedded implementation.
export * from './types.js';
export * from './keywords.js';
export { openSqliteStore } from './sqlite/open.js';
export { parseMessage } from './mime/parse.js';
export type { MessageAnalysis, SearchText } from './mime/parse.js';
