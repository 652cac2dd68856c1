// What the mail method families share: the store, the limits, and optional outbound delivery.
import type { Logger } from '../../log/logger.js';
import type { MailStore } from '../../store/types.js';
import type { DeliveryService } from '../../core/delivery.js';
import type { CoreLimits } from '../capabilities.js';
import type { SpoolDir } from '../../store/index.js';

/** The users Principal/get lists and Mailbox shareWith names (the users repository's list). */
export interface PrincipalDirectory {
  list(): Promise<Array<{ username: string }>>;
}

export interface MailMethodDeps {
  store: MailStore;
  limits: CoreLimits;
  logger: Logger;
  /** Absent: EmailSubmission answers unknownMethod. */
  delivery?: DeliveryService;
  /** Host name for Message-IDs of composed mail and trace headers. */
  hostname: string;
  /** Where Blob/upload builds a blob before the store takes it (the upload spool). */
  spool: SpoolDir;
  /** Absent: no Principal methods, and shareWith cannot be written. */
  users?: PrincipalDirectory;
}
