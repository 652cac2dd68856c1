// Remembers, for a few minutes, that a password matched a user's stored hash, so that clients that
// log in on every connection or send HTTP Basic on every request (SMTP submission, JMAP, IMAP
// clients with many connections) do not pay a full scrypt derivation each time — as Dovecot's
// auth_cache does. Only successes are remembered; failures always pay the full cost.
//
// Checks already running are shared: a mail client that opens five connections at once, or a web
// client firing requests with HTTP Basic, pays one derivation, not five.
//
// An entry is an HMAC, under a key that lives only in this process, of the user name, the stored
// hash and the password. Nothing reversible is kept, and because the stored hash is part of the
// digest, a password change or a removed user (made by the CLI in another process, too) misses the
// cache at once: the repository reads the current hash before it asks here.
import { createHmac, randomBytes } from 'node:crypto';

export interface VerifiedPasswordsSettings {
  /** How long a verified password is trusted without a new derivation. */
  ttlMs: number;
  /** Upper bound on remembered entries (oldest evicted first). */
  maxEntries: number;
}

/**
 * An entry is trusted for the TTL less up to this share of it, at random. Logins that came together
 * (every client after a restart) would otherwise expire together and derive again together, TTL
 * after TTL: in the soak each such wave queued all users' derivations behind the two derivation
 * slots (SMTP AUTH waiting past a minute) and held 32 MiB of scrypt memory per slot meanwhile.
 */
const EXPIRY_SPREAD = 0.2;

export const DEFAULT_VERIFIED_PASSWORDS: VerifiedPasswordsSettings = { ttlMs: 5 * 60_000, maxEntries: 10_000 };

export class VerifiedPasswords {
  private readonly key = randomBytes(32);
  /** digest → expiry time; Map iteration order is insertion order, which makes eviction FIFO. */
  private readonly entries = new Map<string, number>();
  /** digest → the check running for it. */
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(
    private readonly settings: VerifiedPasswordsSettings = DEFAULT_VERIFIED_PASSWORDS,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  private digest(username: string, storedHash: string, password: string): string {
    return createHmac('sha256', this.key).update(`${username}\0${storedHash}\0${password}`).digest('base64');
  }

  has(username: string, storedHash: string, password: string): boolean {
    if (this.settings.ttlMs <= 0) return false;
    const d = this.digest(username, storedHash, password);
    const until = this.entries.get(d);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.entries.delete(d);
      return false;
    }
    return true;
  }

  /**
   * Runs `check` (the derivation) for this user, stored hash and password, or joins the one already
   * running for the same three: concurrent logins with the same credentials share one result.
   */
  shared(username: string, storedHash: string, password: string, check: () => Promise<boolean>): Promise<boolean> {
    const d = this.digest(username, storedHash, password);
    const running = this.running.get(d);
    if (running) return running;
    const result = check().finally(() => this.running.delete(d));
    this.running.set(d, result);
    return result;
  }

  remember(username: string, storedHash: string, password: string): void {
    if (this.settings.ttlMs <= 0) return;
    const d = this.digest(username, storedHash, password);
    this.entries.delete(d);
    while (this.entries.size >= this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(d, this.now() + this.settings.ttlMs * (1 - EXPIRY_SPREAD * this.random()));
  }

  get size(): number {
    return this.entries.size;
  }
}
