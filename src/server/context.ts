// What every protocol factory receives: the resolved configuration, the logger, the users
// repository and domain list, and a way to share resources between protocols. The lead adds
// typed fields here as cores arrive, or keeps them behind `use(sharedResource(...))`.
import type { TesseraConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { SharedResource } from './resources.js';
import type { AppPasswordService } from '../auth/app-passwords/service.js';
import type { RecipientRewriteTable } from '../auth/rewrite/types.js';
import type { ThrottleStoreFactory } from '../auth/throttle/store.js';
import type { EmbeddedGroups } from '../auth/users/groups.js';

export interface SelfSignedCertificate {
  key: Buffer;
  cert: Buffer;
  keyPath: string;
  certPath: string;
  /** SHA-256 fingerprint, for clients that pin the certificate. */
  fingerprint256: string;
}

export interface ServerContext {
  readonly config: TesseraConfig;
  readonly logger: Logger;
  readonly users: UsersRepository;
  readonly domains: DomainList;
  /** App passwords of users.sqlite, checked against the users repository. */
  readonly appPasswords: AppPasswordService;
  /** Aliases, forwards and domain aliases of users.sqlite (applied at routing, managed by WebAdmin). */
  readonly rewrites: RecipientRewriteTable;
  /** The login throttle's counts in the users database on PostgreSQL, shared by every node; absent on users.sqlite. */
  readonly throttleStore?: ThrottleStoreFactory;
  /** The embedded repository's groups ("$group" ACLs, WebAdmin /groups); absent with LDAP users. */
  readonly groups?: EmbeddedGroups;
  /** Absolute data directory (users.sqlite, the store, tls/). */
  readonly dataDir: string;
  /** Set when a listener uses the generated certificate (its TlsConfig already holds key and cert). */
  readonly selfSigned?: SelfSignedCertificate;
  /** Set when this process is one of several `tessera serve` workers (`server.processes` > 1). */
  readonly worker?: WorkerRole;
  /** The one instance of a shared resource for this run, created on first use. */
  use<T>(resource: SharedResource<T>): Promise<T>;
  /** Runs at shutdown after every protocol server stopped, in reverse registration order. */
  onShutdown(name: string, close: () => Promise<void> | void): void;
}

/** Which of several server processes this one is. */
export interface WorkerRole {
  /** 1…processes; slot 1 alone serves what must run once (WebAdmin, the control listener, admin.sock). */
  readonly slot: number;
}

/** True in the process that serves what must run once: a single server, or the first worker. */
export function servesSingletons(ctx: ServerContext): boolean {
  return ctx.worker === undefined || ctx.worker.slot === 1;
}

/** Builds the protocol servers of one kind (one per configured listener block); [] when disabled. */
export type ProtocolFactory = (ctx: ServerContext) => ProtocolServer[] | Promise<ProtocolServer[]>;
