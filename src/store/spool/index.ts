// Messages on their way in: spool directories, spool writers, finished spooled messages, and the one
// process-wide memory budget for reading them back (see ./ingest-gate.ts).
export { SpoolDir } from './spool-dir.js';
export { IncomingMessage, MessageTooLargeError, HIGH_WATER as SPOOL_HIGH_WATER, SPOOL_SUFFIX, spoolWithPrefix, keptParts, type OmittedRanges } from './incoming.js';
export { SpooledMessage } from './spooled.js';
export { IngestGate, sharedIngestGate, DEFAULT_INGEST_BUDGET, INGEST_FREE_SIZE, PARSE_PEAK_FACTOR } from './ingest-gate.js';
export { ingestMemoryStats, resetIngestMemoryPeaks, type IngestMemoryStats } from './memory.js';
export { SizeLimit } from './size-limit.js';
