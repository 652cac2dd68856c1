// The session resource (RFC 8620 §2): capabilities with the limits we enforce, the user's account
// and its per-capability settings, and the URL templates. Its `state` is a digest of everything
// else except the URLs, so it changes exactly when the session's content does.
import { createHash } from 'node:crypto';
import type { JsonObject } from './core/types.js';
import {
  CAP_CORE, CAP_MAIL, CAP_PRINCIPALS, CAP_PRINCIPALS_OWNER, CAP_QUOTA, CAP_SUBMISSION, CAP_VACATION, CAP_WEBSOCKET, coreCapability, type CoreLimits,
} from './capabilities.js';
import { blobCapability, CAP_APP_PASSWORDS, CAP_BLOB, CAP_SIEVE, sieveCapability } from './capabilities.js';
import { SIEVE_EXTENSIONS } from '../sieve/index.js';
import type { SieveScriptLimits } from '../store/types.js';
import { MAX_SCRIPT_NAME_OCTETS } from './methods/sieve-script.js';
import { SUBMISSION_EXTENSIONS } from './methods/submission-params.js';
import { EMAIL_SORT_OPTIONS } from './mail/query-filter.js';
import { PATHS } from './http/paths.js';
import { jmapAccountId, type SharedJmapAccount } from './account-id.js';

export interface SessionOptions {
  limits: CoreLimits;
  /** Whether EmailSubmission works (a delivery service is wired). */
  submission: boolean;
  maxSizeAttachmentsPerEmail: number;
  /** What SieveScript/set lets an account store (tessera.properties sieve.*). */
  sieve: SieveScriptLimits;
  /** Whether AppPassword/get and /set are offered (`tessera serve` wires the auth core's service). */
  appPasswords?: boolean;
  /** Whether Principal and ShareNotification methods are offered (RFC 9670; needs the users list). */
  principals?: boolean;
}

function mailCapability(options: SessionOptions, mayCreateTopLevelMailbox: boolean): JsonObject {
  return {
    maxMailboxesPerEmail: null,
    maxMailboxDepth: null,
    maxSizeMailboxName: 490,
    maxSizeAttachmentsPerEmail: options.maxSizeAttachmentsPerEmail,
    emailQuerySortOptions: EMAIL_SORT_OPTIONS,
    mayCreateTopLevelMailbox,
  };
}

/**
 * Another user's account (RFC 8621 §1.6.2: isPersonal false): their mail, within the rights of the
 * mailboxes they shared, and (RFC 9670 §2.2) which principal owns it.
 */
function sharedAccountEntry(user: string, account: SharedJmapAccount, options: SessionOptions): JsonObject {
  const accountCapabilities: JsonObject = { [CAP_MAIL]: mailCapability(options, false) };
  if (options.principals) accountCapabilities[CAP_PRINCIPALS_OWNER] = { accountIdForPrincipal: jmapAccountId(user), principalId: account.id };
  return { name: account.name, isPersonal: false, isReadOnly: account.isReadOnly, accountCapabilities };
}

function sessionBody(user: string, baseUrl: string, options: SessionOptions, shared: readonly SharedJmapAccount[]): JsonObject {
  const base = baseUrl.replace(/\/+$/, '');
  const wsBase = base.replace(/^http/, 'ws');
  const accountCapabilities: JsonObject = {
    [CAP_MAIL]: mailCapability(options, true),
    [CAP_VACATION]: {},
    [CAP_QUOTA]: {},
    [CAP_BLOB]: blobCapability(options.limits) as JsonObject,
    [CAP_SIEVE]: sieveCapability(options.sieve, SIEVE_EXTENSIONS, MAX_SCRIPT_NAME_OCTETS) as JsonObject,
  };
  if (options.submission) accountCapabilities[CAP_SUBMISSION] = { maxDelayedSend: 0, submissionExtensions: SUBMISSION_EXTENSIONS };
  if (options.appPasswords) accountCapabilities[CAP_APP_PASSWORDS] = {};
  if (options.principals) {
    accountCapabilities[CAP_PRINCIPALS] = { currentUserPrincipalId: jmapAccountId(user) };
    accountCapabilities[CAP_PRINCIPALS_OWNER] = { accountIdForPrincipal: jmapAccountId(user), principalId: jmapAccountId(user) };
  }
  const capabilities: JsonObject = {
    [CAP_CORE]: coreCapability(options.limits) as JsonObject,
    [CAP_MAIL]: {},
    [CAP_VACATION]: {},
    [CAP_QUOTA]: {},
    [CAP_WEBSOCKET]: { url: `${wsBase}${PATHS.websocket}`, supportsPush: true },
    [CAP_BLOB]: {},
    [CAP_SIEVE]: {},
  };
  if (options.submission) capabilities[CAP_SUBMISSION] = {};
  if (options.appPasswords) capabilities[CAP_APP_PASSWORDS] = {};
  if (options.principals) capabilities[CAP_PRINCIPALS] = {};
  // The account is named by its opaque id (RFC 8620 §1.2 charset); `name` is the user name.
  const accountId = jmapAccountId(user);
  const primaryAccounts: JsonObject = Object.fromEntries(Object.keys(accountCapabilities).map((c) => [c, accountId]));
  const session: JsonObject = {
    capabilities,
    accounts: {
      [accountId]: { name: user, isPersonal: true, isReadOnly: false, accountCapabilities },
      ...Object.fromEntries(shared.map((a) => [a.id, sharedAccountEntry(user, a, options)])),
    },
    primaryAccounts,
    username: user,
    apiUrl: `${base}${PATHS.api}`,
    downloadUrl: `${base}${PATHS.download}{accountId}/{blobId}/{name}?type={type}`,
    uploadUrl: `${base}${PATHS.upload}{accountId}`,
    eventSourceUrl: `${base}${PATHS.eventSource}?types={types}&closeafter={closeafter}&ping={ping}`,
  };
  return session;
}

/** The session state ignores the URLs, which depend on how the client reached us, not on the session. */
export function sessionState(user: string, options: SessionOptions, shared: readonly SharedJmapAccount[] = []): string {
  return createHash('sha256').update(JSON.stringify(sessionBody(user, '', options, shared))).digest('base64url').slice(0, 16);
}

export function buildSession(user: string, baseUrl: string, options: SessionOptions, shared: readonly SharedJmapAccount[] = []): JsonObject {
  return { ...sessionBody(user, baseUrl, options, shared), state: sessionState(user, options, shared) };
}

/** Capabilities a client may list in `using`. */
export function supportedCapabilities(submission: boolean, appPasswords = false, principals = false): Set<string> {
  const caps = [CAP_CORE, CAP_MAIL, CAP_VACATION, CAP_QUOTA, CAP_WEBSOCKET];
  caps.push(CAP_BLOB, CAP_SIEVE);
  if (submission) caps.push(CAP_SUBMISSION);
  if (appPasswords) caps.push(CAP_APP_PASSWORDS);
  if (principals) caps.push(CAP_PRINCIPALS);
  return new Set(caps);
}
