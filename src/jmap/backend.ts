// What the transports (HTTP, EventSource, WebSocket) need from the JMAP application. The HTTP layer
// only frames bytes and authenticates; everything about accounts, methods and blobs is behind this.
import type { Principal } from '../auth/types.js';
import type { JmapRequest, JmapResponse, JsonObject } from './core/types.js';
import type { SpooledMessage } from '../store/types.js';
import type { ByteSource } from '../store/api/byte-source.js';

/** RFC 8620 §7.1 StateChange: accountId → (type name → state). */
export interface StateChange {
  '@type': 'StateChange';
  changed: Record<string, Record<string, string>>;
}

export interface UploadResult {
  accountId: string;
  blobId: string;
  type: string;
  size: number;
}

export interface DownloadedBlob {
  /** Read a chunk at a time into the response: a large blob is never held whole. */
  source: ByteSource;
}

/** Blob ids and accounts are checked by the backend; these say why a transfer is refused. */
export class AccountAccessError extends Error {
  override readonly name = 'AccountAccessError';
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
}

export interface JmapBackend {
  /** The session resource (RFC 8620 §2) for this user, `state` included. */
  session(principal: Principal, baseUrl: string): Promise<JsonObject>;
  sessionState(principal: Principal): Promise<string>;
  api(request: JmapRequest, principal: Principal): Promise<JmapResponse>;
  /** Throws AccountAccessError for an account the user may not write. */
  upload(principal: Principal, accountId: string, type: string, bytes: Buffer | SpooledMessage): Promise<UploadResult>;
  /** Throws AccountAccessError / BlobNotFoundError; a blob of another account is simply not found. */
  download(principal: Principal, accountId: string, blobId: string): Promise<DownloadedBlob>;
  /**
   * Calls `onChange` whenever one of `types` (null = all) changes in an account the user can see.
   * Returns the unsubscribe function.
   */
  subscribe(principal: Principal, types: ReadonlySet<string> | null, onChange: (change: StateChange) => void): () => void;
  /** Current states of the user's accounts, sent as the first push event so a client can sync. */
  currentStates(principal: Principal, types: ReadonlySet<string> | null): Promise<StateChange>;
}
