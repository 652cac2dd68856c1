// What a session of a line protocol (SMTP, POP3) needs from its transport. The TCP/TLS implementation
// is SocketConnection in this folder; tests and the fuzzer can drive a session with an in-memory one.

export interface StreamConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** TLS is active (implicit TLS or after STARTTLS). */
  readonly secure: boolean;
  write(data: string | Uint8Array): void;
  /**
   * Resolves when the next command may run: once unflushed output is back under the network edge's
   * high-water mark (at once when it is), and a turn of the event loop later. `afterInput`: the
   * session had nothing to do until this input arrived (its turn comes first, see turns.ts).
   */
  readyForNextCommand(afterInput: boolean): Promise<void>;
  /**
   * Upgrades to TLS in place (SMTP STARTTLS RFC 3207, POP3 STLS RFC 2595). Resolves once the handshake is done; rejects if it fails,
   * after which the connection is closed.
   */
  startTls(): Promise<void>;
  /** Whether STARTTLS/STLS can be offered (certificate available, not yet secure). */
  readonly canStartTls: boolean;
  /** Stops reading from the client (the session has enough unprocessed input). */
  pauseInput(): void;
  /** Reads from the client again, unless reading is held until our own output drains. */
  resumeInput(): void;
  /** Flushes pending output and closes. */
  end(): void;
}
