// Public entry of the store: the contract, the keyword helpers and the embedded implementation. The
// message model (parsing, decoding, addresses, dates, subjects) is src/mime; its entry points are
// passed on here for store consumers that already import them from the store.
export * from './types.js';
export * from './keywords.js';
export { openSqliteStore } from './sqlite/open.js';
export { storeDirectory } from './open-from-config.js';
export { parseMessage } from '../mime/parse.js';
export type { MessageAnalysis, SearchText } from '../mime/parse.js';
export { decodeTransfer, decodeCharset, decodeWords, parseStructuredValue } from '../mime/decode.js';
export { toEmailAddresses, toAddressGroups, toEnvelopeAddresses, parseMessageIds } from '../mime/addresses.js';
export { parseHeaderBlock, headerValue, headerValues, unfold } from '../mime/headers.js';
export { baseSubject, subjectSortKey } from '../mime/subject.js';
