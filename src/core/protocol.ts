// What the lifecycle needs from a protocol front-end (IMAP, SMTP, JMAP): a neutral contract, so the
// front-ends implement it without importing the start-up code that runs them. Each front-end exports a
// factory returning one ProtocolServer per configured listener block; `tessera serve` starts them
// all, prints where they listen, and stops them on SIGTERM.

import type { TlsConfig } from '../config/types.js';

/** The TLS settings of a listener block, found by the block's `source` ("conf/imapserver.xml, block 1"). */
export type TlsMaterialLookup = (source: string) => TlsConfig | undefined;

export interface ProtocolServer {
  /** e.g. "imap-143", used in logs and the start-up banner. */
  readonly name: string;
  /** Binds every configured address; rejects (naming the address) if one cannot be bound. */
  start(): Promise<void>;
  /** Human-readable addresses actually listening, e.g. "imap://127.0.0.1:1143 (STARTTLS)". */
  describe(): string[];
  /**
   * Stops accepting, lets in-flight commands finish until the deadline, then closes the rest.
   * Resolves when every connection is gone.
   */
  stop(deadline: Date): Promise<void>;
  /**
   * Takes the key material `material` now gives this server's TLS listeners (a renewed certificate):
   * new connections and STARTTLS upgrades use it, open ones keep theirs. Returns how many listeners
   * took it; throws ListenerTlsError, keeping the old material, when the new one is unusable.
   */
  reloadTls?(material: TlsMaterialLookup): number;
}
