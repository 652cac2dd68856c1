// JMAP error vocabulary. Request-level failures become RFC 7807 problem details (RFC 8620 §3.6.1);
// method-level failures become an `error` invocation (§3.6.2); per-object failures in /set become
// SetError objects (§5.3). Each is a typed value so handlers never build error JSON by hand.

export type ProblemType = 'unknownCapability' | 'notJSON' | 'notRequest' | 'limit';

export type LimitName =
  | 'maxSizeRequest'
  | 'maxCallsInRequest'
  | 'maxConcurrentRequests'
  | 'maxSizeUpload'
  | 'maxConcurrentUpload'
  | 'maxDepth';

export interface ProblemDetails {
  type: string;
  status: number;
  detail: string;
  limit?: string;
  title?: string;
}

/** A request the server refuses as a whole; carries an HTTP status and an RFC 7807 body. */
export class RequestProblem extends Error {
  override readonly name = 'RequestProblem';
  constructor(
    readonly problemType: ProblemType,
    readonly status: number,
    readonly detail: string,
    readonly limit?: LimitName,
  ) {
    super(detail);
  }

  toJSON(): ProblemDetails {
    const body: ProblemDetails = {
      type: `urn:ietf:params:jmap:error:${this.problemType}`,
      status: this.status,
      detail: this.detail,
    };
    if (this.limit !== undefined) body.limit = this.limit;
    return body;
  }
}

export type MethodErrorType =
  | 'serverUnavailable'
  | 'serverFail'
  | 'serverPartialFail'
  | 'unknownMethod'
  | 'invalidArguments'
  | 'invalidResultReference'
  | 'forbidden'
  | 'accountNotFound'
  | 'accountNotSupportedByMethod'
  | 'accountReadOnly'
  | 'requestTooLarge'
  | 'stateMismatch'
  | 'cannotCalculateChanges'
  | 'anchorNotFound'
  | 'unsupportedSort'
  | 'unsupportedFilter'
  | 'tooManyChanges'
  | 'fromAccountNotFound'
  | 'fromAccountNotSupportedByMethod'
  /** RFC 9404 §4.3: a Blob/lookup type name unknown, or its capability not in `using`. */
  | 'unknownDataType';

/** Thrown by a method handler; the dispatcher turns it into `["error", {type, description}, callId]`. */
export class MethodError extends Error {
  override readonly name = 'MethodError';
  constructor(
    readonly type: MethodErrorType,
    readonly description?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description ?? type);
  }

  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { type: this.type, ...this.extra };
    if (this.description !== undefined) body.description = this.description;
    return body;
  }
}

export type SetErrorType =
  | 'forbidden'
  | 'overQuota'
  | 'tooLarge'
  | 'rateLimit'
  | 'notFound'
  | 'invalidPatch'
  | 'willDestroy'
  | 'invalidProperties'
  | 'singleton'
  | 'mailboxHasChild'
  | 'mailboxHasEmail'
  | 'blobNotFound'
  | 'tooManyKeywords'
  | 'tooManyMailboxes'
  | 'invalidEmail'
  | 'tooManyRecipients'
  | 'noRecipients'
  | 'invalidRecipients'
  | 'forbiddenMailFrom'
  | 'forbiddenFrom'
  | 'forbiddenToSend'
  | 'cannotUnsend'
  | 'alreadyExists'
  | 'stateMismatch'
  /** RFC 9661 §2.4 */
  | 'invalidSieve'
  | 'sieveIsActive';

export interface SetError {
  type: SetErrorType;
  description?: string;
  properties?: string[];
  notFound?: string[];
  existingId?: string;
  invalidRecipients?: string[];
}

/** Thrown inside per-object /set work; caught per object and reported in notCreated/notUpdated/… */
export class SetFailure extends Error {
  override readonly name = 'SetFailure';
  constructor(readonly error: SetError) {
    super(error.description ?? error.type);
  }
}

export function setError(type: SetErrorType, description?: string, extra: Partial<SetError> = {}): SetFailure {
  const e: SetError = { type, ...extra };
  if (description !== undefined) e.description = description;
  return new SetFailure(e);
}
