// Capability URNs and the core limits advertised in the session resource. The same numbers are the
// ones the HTTP layer and the dispatcher enforce, so what a client reads is what it gets.
import type { JmapConfig } from '../config/types.js';
import type { SieveScriptLimits } from '../store/types.js';

export const CAP_CORE = 'urn:ietf:params:jmap:core';
export const CAP_MAIL = 'urn:ietf:params:jmap:mail';
export const CAP_SUBMISSION = 'urn:ietf:params:jmap:submission';
export const CAP_VACATION = 'urn:ietf:params:jmap:vacationresponse';
export const CAP_WEBSOCKET = 'urn:ietf:params:jmap:websocket';
export const CAP_QUOTA = 'urn:ietf:params:jmap:quota';
/** RFC 9670 §2.1: Principal and ShareNotification data live in the account with this capability. */
export const CAP_PRINCIPALS = 'urn:ietf:params:jmap:principals';
/** RFC 9670 §2.2: on an account owned by a principal, which principal (and where to look it up). */
export const CAP_PRINCIPALS_OWNER = 'urn:ietf:params:jmap:principals:owner';
/** Tessera's own: AppPassword/get and /set (./methods/app-password.ts). */
export const CAP_APP_PASSWORDS = 'urn:tessera:app-passwords';

/** Collations implemented by the string comparisons of query sorts and filters (RFC 4790 names). */
export const COLLATION_ALGORITHMS = ['i;ascii-numeric', 'i;ascii-casemap', 'i;unicode-casemap'] as const;

export interface CoreLimits {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  /** Not advertised by RFC 8620; protects the JSON parser's recursion and our walkers. */
  maxJsonDepth: number;
  /**
   * Most ids one Foo/query answers: a larger or absent client limit is clamped to it and the answer
   * says so in `limit` (RFC 8620 §5.5), so no query's response grows with the mailbox.
   */
  maxQueryResults: number;
}

export const DEFAULT_LIMITS: CoreLimits = {
  maxSizeUpload: 50_000_000,
  maxConcurrentUpload: 4,
  maxSizeRequest: 10_000_000,
  maxConcurrentRequests: 4,
  maxCallsInRequest: 16,
  maxObjectsInGet: 500,
  maxObjectsInSet: 500,
  maxJsonDepth: 64,
  maxQueryResults: 10_000,
};

export function limitsFromConfig(config: JmapConfig): CoreLimits {
  const pick = (v: number, d: number): number => (Number.isFinite(v) && v > 0 ? v : d);
  return {
    maxSizeUpload: pick(config.maxSizeUpload, DEFAULT_LIMITS.maxSizeUpload),
    maxConcurrentUpload: pick(config.maxConcurrentUpload, DEFAULT_LIMITS.maxConcurrentUpload),
    maxSizeRequest: pick(config.maxSizeRequest, DEFAULT_LIMITS.maxSizeRequest),
    maxConcurrentRequests: pick(config.maxConcurrentRequests, DEFAULT_LIMITS.maxConcurrentRequests),
    maxCallsInRequest: pick(config.maxCallsInRequest, DEFAULT_LIMITS.maxCallsInRequest),
    maxObjectsInGet: pick(config.maxObjectsInGet, DEFAULT_LIMITS.maxObjectsInGet),
    maxObjectsInSet: pick(config.maxObjectsInSet, DEFAULT_LIMITS.maxObjectsInSet),
    maxJsonDepth: DEFAULT_LIMITS.maxJsonDepth,
    maxQueryResults: DEFAULT_LIMITS.maxQueryResults,
  };
}

export function coreCapability(limits: CoreLimits): Record<string, unknown> {
  return {
    maxSizeUpload: limits.maxSizeUpload,
    maxConcurrentUpload: limits.maxConcurrentUpload,
    maxSizeRequest: limits.maxSizeRequest,
    maxConcurrentRequests: limits.maxConcurrentRequests,
    maxCallsInRequest: limits.maxCallsInRequest,
    maxObjectsInGet: limits.maxObjectsInGet,
    maxObjectsInSet: limits.maxObjectsInSet,
    collationAlgorithms: [...COLLATION_ALGORITHMS],
  };
}

/** RFC 9404: Blob/upload, Blob/get, Blob/lookup. */
export const CAP_BLOB = 'urn:ietf:params:jmap:blob';
/** RFC 9404 §4.1: servers MUST allow at least 64 DataSourceObjects per creation. */
export const BLOB_MAX_DATA_SOURCES = 64;
/** Blob/get `digest:<algorithm>` names (RFC 3230 registry, lowercased), preferred first. */
export const BLOB_DIGEST_ALGORITHMS = ['sha-256', 'sha'] as const;
/** Types Blob/lookup searches; all three belong to urn:ietf:params:jmap:mail. */
export const BLOB_LOOKUP_TYPES = ['Mailbox', 'Thread', 'Email'] as const;

/**
 * The account capability of RFC 9404 §3. A Blob/upload may build a blob as large as an HTTP upload
 * may be (the draft's advice), and no larger.
 */
export function blobCapability(limits: CoreLimits): Record<string, unknown> {
  return {
    maxSizeBlobSet: limits.maxSizeUpload,
    maxDataSources: BLOB_MAX_DATA_SOURCES,
    supportedTypeNames: [...BLOB_LOOKUP_TYPES],
    supportedDigestAlgorithms: [...BLOB_DIGEST_ALGORITHMS],
  };
}

/** RFC 9661: Sieve scripts. */
export const CAP_SIEVE = 'urn:ietf:params:jmap:sieve';

/** RFC 9661 §1.2.1: the account capability, from the limits SieveScript/set enforces. */
export function sieveCapability(limits: SieveScriptLimits, extensions: readonly string[], maxScriptName: number): Record<string, unknown> {
  return {
    implementation: 'Tessera',
    maxSizeScriptName: maxScriptName,
    maxSizeScript: limits.maxSize > 0 ? limits.maxSize : null,
    maxNumberScripts: limits.maxScripts > 0 ? limits.maxScripts : null,
    maxNumberRedirects: null,
    sieveExtensions: [...extensions],
    notificationMethods: null,
    externalLists: null,
  };
}
