// Public entry of the store: the contract, the keyword helpers, the embedded implementation, and
// the MIME helpers protocol layers need to serve parts (BINARY, JMAP bodyValues, header:…:as* forms).
export * from './types.js';
export * from './keywords.js';
export { openSqliteStore } from './sqlite/open.js';
export { storeDirectory } from './directory.js';
export { parseMessage } from './mime/parse.js';
export type { MessageAnalysis, SearchText, SortFields } from './mime/parse.js';
export { decodeTransfer, decodeCharset, decodeWords, parseStructuredValue } from './mime/decode.js';
export { toEmailAddresses, toAddressGroups, toEnvelopeAddresses, parseMessageIds } from './mime/addresses.js';
export { parseHeaderBlock, headerValue, headerValues, unfold } from './mime/headers.js';
export { baseSubject } from './mime/subject.js';
