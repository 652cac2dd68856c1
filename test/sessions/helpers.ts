// Shared by the session-revocation tests: temp data directories, fake protocol sessions that record
// how they were ended, a deadline wait for "ended within one second", and a barrier after which
// a session that was not ended is known to stay.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal, Protocol } from '../../src/auth/types.js';
import type { AuthConfig, TokenExpiryPolicy } from '../../src/config/types.js';
import type { RevocationRequest, SessionHandle, SessionRegistration } from '../../src/sessions/types.js';
import { createLogger, silentLogger, type Logger } from '../../src/log/logger.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { MailStore } from '../../src/store/types.js';

export async function tempDir(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sessions-'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The mail store that keeps revocations, as `tessera serve` opens it: <dataDir>/store. */
export function openStore(dataDir: string): Promise<MailStore> {
  const logger = silentLogger();
  return openSqliteStore({ dataDir: join(dataDir, 'store'), events: new MemoryEventBus(logger), logger });
}

/** A stand-in for an IMAP/SMTP/JMAP connection: records terminate() calls. */
export class FakeSession {
  readonly reasons: string[] = [];
  handle!: SessionHandle;
  private resolveEnded!: (reason: string) => void;
  readonly ended: Promise<string> = new Promise((resolve) => (this.resolveEnded = resolve));

  constructor(
    readonly principal: Principal,
    readonly protocol: Protocol = 'imap',
    readonly extra: { auth?: AuthConfig; tokenExpiry?: TokenExpiryPolicy } = {},
  ) {}

  registration(): SessionRegistration {
    return {
      protocol: this.protocol,
      principal: this.principal,
      peer: '127.0.0.1',
      terminate: (reason) => {
        this.reasons.push(reason);
        this.resolveEnded(reason);
      },
      ...this.extra,
    };
  }

  get terminated(): boolean {
    return this.reasons.length > 0;
  }
}

export function register(target: { register(r: SessionRegistration): SessionHandle }, session: FakeSession): FakeSession {
  session.handle = target.register(session.registration());
  return session;
}

/** Resolves with the promise's value, or rejects when it takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

let barriers = 0;

/**
 * Resolves once every revocation already under way has been acted on, so a test may then assert
 * that a session was left alone: a sentinel session is revoked through the same path (the bus),
 * which handles revocations in order, and its end is awaited under a deadline.
 */
export async function afterPendingRevocations(control: { register(r: SessionRegistration): SessionHandle; revoke(r: RevocationRequest): Promise<void> }): Promise<void> {
  barriers += 1;
  const user = `barrier-${barriers}@sentinel.test`;
  const sentinel = register(control, new FakeSession({ user, mechanism: 'PLAIN' }));
  await control.revoke({ user, reason: 'barrier' });
  await within(5000, sentinel.ended, 'the barrier revocation');
}

export function tokenPrincipal(fields: Partial<Principal> & { user: string }): Principal {
  return { mechanism: 'OAUTHBEARER', ...fields };
}

/** A logger whose JSON lines the test can read (what an operator would see). */
export function captureLogger(): { logger: Logger; messages(): string[] } {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  return { logger, messages: () => lines.map((l) => String((JSON.parse(l) as { msg?: unknown }).msg)) };
}
