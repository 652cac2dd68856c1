// Shapes the network edge needs from its callers. Deliberately structural: src/net imports nothing
// from the protocols or the config loader, whose types (TlsConfig, HostPort, pino's Logger) fit these.

export interface BindAddress {
  host: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
}

/** TLS mode and material of one listener: PEM key + chain, or a PKCS#12 bundle with its passphrase. */
export interface ListenerTls {
  /** Implicit TLS on connect (IMAPS 993, SMTPS 465, HTTPS). */
  socketTLS: boolean;
  /** STARTTLS offered on a clear connection. */
  startTLS: boolean;
  key?: Buffer | undefined;
  cert?: Buffer | undefined;
  pfx?: Buffer | undefined;
  passphrase?: string | undefined;
  /** Lowest and highest TLS version offered; default TLS 1.2 up to what Node supports. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

export interface NetLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Why a connection was turned away before the protocol saw it. */
export type RefusalReason = 'limit' | 'perIpLimit' | 'stopping';
