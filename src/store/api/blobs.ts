// Blobs: JMAP uploads and reads of any blob the account may see (its emails' and its uploads').
import type { ByteRange } from './values.js';
import type { ByteSource } from './byte-source.js';
import type { SpooledMessage } from '../spool/spooled.js';

export interface UploadedBlob {
  blobId: string;
  size: number;
  /** Media type given at upload (JMAP `type`). */
  type: string;
  /** When an unreferenced upload may be garbage-collected. */
  expiresAt: Date;
}

export interface BlobStore {
  /**
   * JMAP upload: stores the bytes (fsynced; a spooled upload's file is renamed into place) and makes
   * the blob readable by `account` until it expires.
   */
  uploadBlob(account: string, bytes: Buffer | SpooledMessage, type: string): Promise<UploadedBlob>;
  /**
   * Bytes of a blob the account may read: one of its emails, or one of its uploads. Null otherwise,
   * so one account never reads another's data.
   */
  readBlob(account: string, blobId: string, range?: ByteRange): Promise<Buffer | null>;
  /** As readBlob, read a chunk at a time (JMAP downloads). */
  openBlob(account: string, blobId: string, range?: ByteRange): Promise<ByteSource | null>;
  /** Size of a blob the account may read (as readBlob decides), without reading it; null otherwise. */
  blobSize(account: string, blobId: string): Promise<number | null>;
  /** Ids of the account's emails whose message is the blob `blobId` (JMAP Blob/lookup). */
  emailsWithBlob(account: string, blobId: string): Promise<string[]>;
}
