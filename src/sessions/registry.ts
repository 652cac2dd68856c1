// Every authenticated connection, by user, OP session, token and subject, so a revocation can find
// and end it. Revocations arrive over the event bus (`session-revoked`), whichever node issued them;
// ending a session means calling the protocol's own terminate callback (IMAP BYE, SMTP 421, JMAP push
// close), after which the session is forgotten here even if the protocol unregisters late.
import { randomId } from '../core/random-pool.js';
import type { Logger } from '../log/logger.js';
import type { EventBus, SessionRevokedEvent, Unsubscribe } from '../events/types.js';
import { ExpiryTimers, expiryDeadline } from './expiry.js';
import { sessionsOpen, sessionsRevoked, sessionsStarted } from './metrics.js';
import { namesSomething, principalMatches } from './match.js';
import type {
  LiveSession,
  RevocationCriteria,
  SessionHandle,
  SessionRegistration,
  SessionRevokedMessage,
  SessionSummary,
} from './types.js';

interface Entry extends LiveSession {
  readonly terminate: (reason: string) => void;
}

export interface SessionRegistryOptions {
  logger: Logger;
  now?: () => number;
}

export const TOKEN_EXPIRED_REASON = 'Access token expired';

export class SessionRegistry {
  private readonly sessions = new Map<string, Entry>();
  private readonly timers: ExpiryTimers;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: SessionRegistryOptions) {
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.timers = new ExpiryTimers(this.now);
  }

  register(registration: SessionRegistration): SessionHandle {
    const id = randomId(9, 'base64url');
    const entry: Entry = {
      id,
      protocol: registration.protocol,
      principal: registration.principal,
      peer: registration.peer,
      startedAt: registration.startedAt ?? new Date(this.now()),
      auth: registration.auth,
      tokenExpiry: registration.tokenExpiry,
      terminate: registration.terminate,
    };
    this.sessions.set(id, entry);
    sessionsStarted.inc({ protocol: entry.protocol });
    sessionsOpen.inc({ protocol: entry.protocol });
    const deadline = expiryDeadline(entry.principal, entry.tokenExpiry);
    if (deadline) this.timers.arm(id, deadline, () => this.terminate(id, TOKEN_EXPIRED_REASON));
    return {
      id,
      unregister: () => {
        this.timers.disarm(id);
        // After terminate() the session is already forgotten and no longer counted.
        if (this.sessions.delete(id)) sessionsOpen.dec({ protocol: entry.protocol });
      },
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Pending expiry timers (tests check that unregister clears them). */
  get pendingExpiryTimers(): number {
    return this.timers.size;
  }

  list(): LiveSession[] {
    return [...this.sessions.values()].map(toLive);
  }

  get(id: string): LiveSession | undefined {
    const entry = this.sessions.get(id);
    return entry ? toLive(entry) : undefined;
  }

  byUser(user: string): LiveSession[] {
    return this.matching({ user });
  }

  bySid(sid: string, issuer?: string): LiveSession[] {
    return this.matching({ sid, issuer });
  }

  byJti(jti: string, issuer?: string): LiveSession[] {
    return this.matching({ jti, issuer });
  }

  bySubject(issuer: string, sub: string): LiveSession[] {
    return this.matching({ sub, issuer });
  }

  /** Sessions a revocation with these criteria ends (none when it names nothing). */
  matching(criteria: RevocationCriteria): LiveSession[] {
    if (!namesSomething(criteria)) return [];
    return [...this.sessions.values()].filter((s) => principalMatches(s.principal, criteria)).map(toLive);
  }

  /** Ends one session through its protocol. False when it is no longer registered. */
  terminate(id: string, reason: string): boolean {
    const entry = this.sessions.get(id);
    if (!entry) return false;
    this.sessions.delete(id);
    sessionsOpen.dec({ protocol: entry.protocol });
    sessionsRevoked.inc({ protocol: entry.protocol });
    this.timers.disarm(id);
    this.logger.info(
      { sessionId: id, protocol: entry.protocol, user: entry.principal.user, peer: entry.peer, reason },
      'ending session',
    );
    try {
      entry.terminate(reason);
    } catch (err) {
      // A broken callback must not stop the other sessions of the same revocation from ending.
      this.logger.error({ sessionId: id, protocol: entry.protocol, err: describe(err) }, 'session terminate callback failed');
    }
    return true;
  }

  /** Ends every session the criteria name; returns how many. */
  terminateMatching(criteria: RevocationCriteria, reason: string): number {
    let ended = 0;
    for (const s of this.matching(criteria)) if (this.terminate(s.id, reason)) ended += 1;
    return ended;
  }

  /** Ends matching sessions whenever a `session-revoked` event arrives, from this node or another. */
  subscribe(bus: EventBus): Unsubscribe {
    return bus.onRevocation((event) => {
      this.terminateMatching(criteriaOf(event), event.reason);
    });
  }

  /** Stops expiry timers; sessions stay as they are (the protocols close them on shutdown). */
  close(): void {
    this.timers.clear();
  }
}

/** The criteria a bus event carries (see SessionRevokedMessage for `subject`). */
export function criteriaOf(event: SessionRevokedEvent): RevocationCriteria {
  const subject = (event as SessionRevokedMessage).subject;
  return {
    sid: event.sid,
    jti: event.jti,
    user: event.user,
    credential: event.credential,
    actor: event.actor,
    issuer: event.issuer,
    sub: typeof subject === 'string' && subject !== '' ? subject : undefined,
  };
}

export function summarize(session: LiveSession): SessionSummary {
  const p = session.principal;
  return {
    id: session.id,
    protocol: session.protocol,
    user: p.user,
    mechanism: p.mechanism,
    peer: session.peer,
    startedAt: session.startedAt.toISOString(),
    tokenExpiry: p.tokenExpiry?.toISOString(),
    sid: p.sid,
    jti: p.jti,
    clientId: p.clientId,
    subject: p.subject,
    issuer: p.issuer,
    credentialId: p.credentialId,
  };
}

function toLive(entry: Entry): LiveSession {
  const { terminate: _terminate, ...live } = entry;
  return live;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
